package io.kaption.ingest.http;

import static io.kaption.ingest.support.IngestFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HTTP/2 clients: the JDK's HttpClient by default upgrades a cleartext connection to HTTP/2 (h2c) on its first
 * request and sends the next ones as HTTP/2 streams. Answers given before the server read a request's end of stream
 * must still arrive (they once came back as a GOAWAY without the response).
 */
@ExtendWith(SharedInfrastructure.class)
class Http2IT {

    private static IngestFixture ingest;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("http2", Map.of());
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void requestsAfterAnH2cUpgradeAreAnsweredOverHttp2() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        HttpResponse<String> upgrade = http.send(HttpRequest.newBuilder(ingest.uri("/healthz")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> notFound = http.send(HttpRequest.newBuilder(ingest.uri("/v1/jobs/job-unknown")).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> unknownPath = http.send(HttpRequest.newBuilder(ingest.uri("/nowhere")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(upgrade.statusCode()).isEqualTo(200);
        assertThat(notFound.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(notFound.statusCode()).isIn(404, 503); // 503 while the job directory is still reading
        assertThat(json(notFound.body()).path("error").path("code").textValue()).isIn("job_not_found", "not_ready");
        assertThat(unknownPath.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(unknownPath.statusCode()).isEqualTo(404);
        assertThat(unknownPath.body()).isEqualTo("{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint /nowhere\"}}");
    }
}
