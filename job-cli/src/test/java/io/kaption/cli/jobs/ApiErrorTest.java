package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** The stderr line of a job API call that did not succeed. */
class ApiErrorTest {

    @Test
    void theApisErrorShapeGivesCodeMessageAndStatus() {
        ApiError error = ApiError.fromResponse(404,
                "{\"error\":{\"code\":\"job_not_found\",\"message\":\"no job job-42\"}}");

        assertThat(error.render()).isEqualTo("kaption: job_not_found: no job job-42 (HTTP 404)");
        assertThat(error.code()).isEqualTo("job_not_found");
        assertThat(error.isTransient()).isFalse();
    }

    @Test
    void aConflictIsNotRetried() {
        ApiError error = ApiError.fromResponse(409, "{\"error\":{\"code\":\"idempotency_mismatch\","
                + "\"message\":\"client_token nightly was used with other parameters\"}}");

        assertThat(error.render()).isEqualTo(
                "kaption: idempotency_mismatch: client_token nightly was used with other parameters (HTTP 409)");
        assertThat(error.isTransient()).isFalse();
    }

    @Test
    void anotherBodyIsQuotedShortened() {
        ApiError error = ApiError.fromResponse(502, "<html>" + "x".repeat(300) + "</html>");

        assertThat(error.render()).isEqualTo("kaption: http_502: <html>" + "x".repeat(194) + "… (HTTP 502)");
        assertThat(error.isTransient()).isTrue();
        assertThat(ApiError.fromResponse(503, "  ").render()).isEqualTo("kaption: http_503: (empty body) (HTTP 503)");
        assertThat(ApiError.fromResponse(400, "{\"error\":\"bad\"}").render())
                .isEqualTo("kaption: http_400: {\"error\":\"bad\"} (HTTP 400)");
    }

    @Test
    void anUnreachableServiceSaysWhereItWasLookedFor() {
        ApiError error = ApiError.unreachable("http://127.0.0.1:3000", new ConnectException("Connection refused"));

        assertThat(error.render()).isEqualTo("kaption: unreachable: cannot reach the ingest service at "
                + "http://127.0.0.1:3000: Connection refused (set KAPTION_INGEST_URL or --url)");
        assertThat(error.status()).isZero();
        assertThat(error.isTransient()).isTrue();
        assertThat(ApiError.unreachable("http://h", new ConnectException()).render())
                .contains("http://h: connection refused (");
        assertThat(ApiError.unreachable("http://h", new java.io.EOFException()).render())
                .contains("http://h: EOFException (");
    }
}
