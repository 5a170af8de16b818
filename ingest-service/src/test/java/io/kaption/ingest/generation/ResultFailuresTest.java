package io.kaption.ingest.generation;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.GenerationResult;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResultFailuresTest {

    private static ApiException map(String code) {
        return ResultFailures.toApiException(new GenerationResult.Failure(code, "why"));
    }

    @Test
    void requestProblemsAre422() {
        assertThat(map("invalid_request").status()).isEqualTo(422);
        assertThat(map("image_unavailable").status()).isEqualTo(422);
        assertThat(map("prompt_too_long").status()).isEqualTo(422);
    }

    @Test
    void imageRefusalsKeepImageIntakesStatus() {
        assertThat(map("corrupt_image").status()).isEqualTo(422);
        assertThat(map("image_too_large").status()).isEqualTo(413);
        assertThat(map("fetch_timeout").status()).isEqualTo(504);
    }

    @Test
    void cancellationIs499AndEverythingElse500() {
        assertThat(map("cancelled").status()).isEqualTo(499);
        assertThat(map("inference_failed").status()).isEqualTo(500);
        assertThat(map("something_new").status()).isEqualTo(500);
    }

    @Test
    void theResultsCodeAndMessageAreKept() {
        ApiException error = map("inference_failed");
        assertThat(error.code()).isEqualTo("inference_failed");
        assertThat(error.getMessage()).isEqualTo("why");
    }
}
