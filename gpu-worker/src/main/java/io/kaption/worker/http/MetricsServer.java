package io.kaption.worker.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kaption.kit.metrics.ServiceMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The worker's HTTP port ({@code KAPTION_WORKER_METRICS_PORT}): {@code GET /metrics} in the Prometheus text format.
 *
 * <p>The JDK's server rather than Vert.x (which the ingest service and the sink use): a scrape every few seconds
 * needs no event loop, and the worker, whose CPU belongs to the model, gains no Netty threads or jars.
 */
public final class MetricsServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Listens on {@code host:port} (0: any free port). */
    public static MetricsServer start(String host, int port, ServiceMetrics metrics) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("the worker's HTTP server cannot listen on " + host + ":" + port
                    + " (" + e.getMessage() + "); set KAPTION_WORKER_METRICS_PORT", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kaption-worker-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                respond(exchange, metrics);
            }
        });
        server.start();
        return new MetricsServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, ServiceMetrics metrics) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!path.equals("/metrics")) {
            send(exchange, 404, "application/json",
                    "{\"error\":{\"code\":\"not_found\",\"message\":\"no such resource: " + path.replace("\"", "")
                            + "\"}}");
        } else if (!exchange.getRequestMethod().equals("GET")) {
            exchange.getResponseHeaders().set("Allow", "GET");
            send(exchange, 405, "application/json", "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\""
                    + "only GET is allowed on /metrics\"}}");
        } else {
            send(exchange, 200, ServiceMetrics.CONTENT_TYPE, metrics.scrape());
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
