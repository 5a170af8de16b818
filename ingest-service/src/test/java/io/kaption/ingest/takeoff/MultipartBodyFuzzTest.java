package io.kaption.ingest.takeoff;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.kit.metrics.HttpMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.takeoff.TakeoffRequests.Mode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * Takeoff's multipart upload ({@code json_data} + {@code image_data}, as {@code /image_generate} takes it), any body
 * bytes, through a real Vert.x server on loopback: the multipart decoding is Netty's and happens only inside an HTTP
 * server, so there is no in-process seam below it. The server runs the ingest service's own body reader and Takeoff
 * parsing with the service's form limits and answers like its handlers do (errors through {@link HttpExchange#fail});
 * whatever the body, the answer comes, and it is not a 5xx. Under {@code mvn verify} this replays the committed corpus
 * in {@code MultipartBodyFuzzTestInputs/}; {@code tools/fuzz/run} fuzzes it.
 */
class MultipartBodyFuzzTest {

    private static final int MAX_BODY_BYTES = 64 * 1024;
    static final String BOUNDARY = "kaptionFuzzBoundary";
    private static final TakeoffHandler HANDLER = new TakeoffHandler(null, ImageIntakeConfig.defaults(),
            MAX_BODY_BYTES, URI.create("http://127.0.0.1:1"));
    private static final Vertx VERTX = Vertx.vertx();
    private static final HttpServer SERVER = VERTX.createHttpServer(new HttpServerOptions()
                    .setHost("127.0.0.1")
                    .setPort(0)
                    // As IngestService sets them: a json_data field may be as large as the body.
                    .setMaxFormAttributeSize(MAX_BODY_BYTES)
                    .setMaxFormBufferedBytes(MAX_BODY_BYTES))
            .requestHandler(request -> {
                HttpExchange exchange = new HttpExchange(request, "req-fuzz", Vertx.currentContext(), Map.of(),
                        new HttpMetrics(new SimpleMeterRegistry()), "/image_generate");
                BodyReader.read(request, MAX_BODY_BYTES)
                        .map(body -> HANDLER.parse(body, "req-fuzz", Mode.BLOCKING))
                        .onSuccess(call -> exchange.json(200, Json.MAPPER.createObjectNode()
                                .put("images", call.images().size())))
                        .onFailure(exchange::fail);
            })
            .listen().toCompletionStage().toCompletableFuture().join();
    private static final URI ENDPOINT = URI.create("http://127.0.0.1:" + SERVER.actualPort() + "/image_generate");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterAll
    static void stop() {
        VERTX.close().toCompletionStage().toCompletableFuture().join();
    }

    @FuzzTest(maxDuration = "60s")
    void takeoffForm(byte[] body) throws IOException, InterruptedException {
        HttpResponse<String> response;
        // Jazzer's SSRF detector reports any connection made during a fuzz test; this one is the point of the test.
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections(
                (host, port) -> port == SERVER.actualPort())) {
            response = send(body);
        }
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 499);
        if (response.statusCode() >= 400) {
            JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
            assertThat(error.path("code").textValue()).as(response.body()).isNotBlank();
        }
    }

    private static HttpResponse<String> send(byte[] body) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(ENDPOINT)
                        .timeout(Duration.ofSeconds(20))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
