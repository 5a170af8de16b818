package io.kaption.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.kit.metrics.ServiceMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The worker's probes over real HTTP, answering from a state the test sets, and its scrape. */
class WorkerHttpServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicReference<WorkerState> state = new AtomicReference<>(
            new WorkerState(WorkerState.Phase.STARTING, Map.of("primary", 0)));
    private final ServiceMetrics metrics = ServiceMetrics.create();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    @Test
    void metricsAreScrapedInThePrometheusTextFormatWhateverTheState() throws Exception {
        try (WorkerHttpServer server = WorkerHttpServer.start("127.0.0.1", 0, state::get, metrics)) {
            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(uri(server, "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.headers().firstValue("Content-Type")).contains(ServiceMetrics.CONTENT_TYPE);
            assertThat(scrape.body()).contains("# TYPE kaption_");
        }
    }

    @Test
    void readyOnlyWhileRunningWithPartitionsAssigned() throws Exception {
        try (WorkerHttpServer server = WorkerHttpServer.start("127.0.0.1", 0, state::get, metrics)) {
            assertThat(get(server, "/healthz")).isEqualTo("200 {\"status\":\"ok\"}");
            assertThat(get(server, "/readyz")).isEqualTo("503 {\"error\":{\"code\":\"not_ready\",\"message\":"
                    + "\"starting: loading the model and joining the consumer groups\"},"
                    + "\"partitions\":{\"primary\":0}}");

            state.set(new WorkerState(WorkerState.Phase.RUNNING, Map.of("primary", 0, "batch", 0)));
            assertThat(get(server, "/readyz")).startsWith("503 {\"error\":{\"code\":\"not_ready\",\"message\":"
                    + "\"no partitions assigned in any consumer group yet");

            state.set(new WorkerState(WorkerState.Phase.RUNNING, Map.of("primary", 12, "batch", 0)));
            assertThat(get(server, "/readyz"))
                    .isEqualTo("200 {\"status\":\"ready\",\"partitions\":{\"batch\":0,\"primary\":12}}");

            state.set(new WorkerState(WorkerState.Phase.STOPPING, Map.of("primary", 0)));
            assertThat(get(server, "/readyz"))
                    .startsWith("503 {\"error\":{\"code\":\"not_ready\",\"message\":\"stopping\"");
            assertThat(get(server, "/healthz")).isEqualTo("200 {\"status\":\"ok\"}");

            state.set(new WorkerState(WorkerState.Phase.FAILED, Map.of("primary", 0)));
            assertThat(get(server, "/healthz")).startsWith("503 {\"error\":{\"code\":\"worker_failed\"");
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (WorkerHttpServer server = WorkerHttpServer.start("127.0.0.1", 0, state::get, metrics)) {
            assertThat(get(server, "/metricz")).isEqualTo(
                    "404 {\"error\":{\"code\":\"not_found\",\"message\":\"no such resource: /metricz\"}}");
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri(server, "/readyz"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).contains("GET");
        }
    }

    private String get(WorkerHttpServer server, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(server, path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        return response.statusCode() + " " + response.body();
    }

    private static URI uri(WorkerHttpServer server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
