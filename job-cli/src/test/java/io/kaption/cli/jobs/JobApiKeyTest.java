package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The CLI's client sends its API key as a bearer token on every call, and nothing without one. */
class JobApiKeyTest {

    @Test
    void sendsTheKeyAsABearerToken() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            seen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "{\"object\":\"list\",\"data\":[],\"has_more\":false}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            new JobApi(url, " k-cli ").list(20, null);
            new JobApi(url).list(20, null);
            new JobApi(url, "").list(20, null);
        } finally {
            server.stop(0);
        }
        assertThat(seen).containsExactly("Bearer k-cli", "null", "null");
    }
}
