package io.kaption.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.apikeys.ApiAccess;
import io.kaption.events.RequestEventHub;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.sink.output.OutputsConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sink's event and result routes take the ingest service's API keys; its health routes stay open. */
@ExtendWith(SharedInfrastructure.class)
class SinkApiKeysIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String KEY = "k-sink-" + UUID.randomUUID();
    private static final String TOKENS = "kaption.tokens.keys-" + UUID.randomUUID();
    private static final String RESULTS = "kaption.results.keys-" + UUID.randomUUID();

    private static ResultSink sink;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        SharedInfrastructure.createTopic(TOKENS, 1);
        SharedInfrastructure.createTopic(RESULTS, 1);
        sink = ResultSink.start(ResultSinkConfig.defaults(SharedInfrastructure.kafkaBootstrapServers())
                .withHost("127.0.0.1")
                .withPort(0)
                .withEvents(RequestEventHub.Config.defaults(SharedInfrastructure.kafkaBootstrapServers())
                        .withTopics(TOKENS, RESULTS))
                .withOutputs(OutputsConfig.defaults().withS3Endpoint(SharedInfrastructure.s3Endpoint())
                        .withEnabled(false))
                .withAccess(ApiAccess.fromEnvironment(Map.of("KAPTION_API_KEYS", KEY + ":primary"))));
        await().atMost(WAIT).until(() -> get("/readyz", Map.of()).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    void requestRoutesNeedAKey() {
        HttpResponse<String> missing = get("/v1/requests/req-1?wait=0", Map.of());
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(missing.body()).contains("\"code\":\"missing_api_key\"");
        assertThat(get("/v1/requests/req-1/events", Map.of("Authorization", "Bearer nope")).body())
                .contains("\"code\":\"invalid_api_key\"");

        HttpResponse<String> pending = get("/v1/requests/req-1?wait=0", Map.of("Authorization", "Bearer " + KEY));
        assertThat(pending.statusCode()).isEqualTo(202);
        assertThat(get("/v1/requests/req-1?wait=0", Map.of("X-API-Key", KEY)).statusCode()).isEqualTo(202);
    }

    @Test
    void healthRoutesStayOpen() {
        assertThat(get("/healthz", Map.of()).statusCode()).isEqualTo(200);
        assertThat(get("/readyz", Map.of()).statusCode()).isEqualTo(200);
    }

    private static HttpResponse<String> get(String path, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sink.port() + path))
                .timeout(Duration.ofSeconds(10));
        headers.forEach(request::header);
        try {
            // An events stream that was admitted would stay open; these tests only read refusals from it.
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
