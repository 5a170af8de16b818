package io.kaption.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.events.StreamRestart;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Texts;
import org.junit.jupiter.api.Test;

class SseFormatTest {

    @Test
    void aTokenEventCarriesItsOffsetAsIdAndOneLineOfJson() {
        assertThat(SseFormat.token(42, TokenEvent.chunk("r", 1, 3, "line one\nline \"two\"")))
                .isEqualTo("id: 42\nevent: token\ndata: {\"text\":\"line one\\nline \\\"two\\\"\",\"batch_id\":1,"
                        + "\"index\":3}\n\n");
    }

    @Test
    void aFinalTokenEventAddsItsFinishReason() {
        assertThat(SseFormat.token(7, TokenEvent.last("r", 0, 9, "", FinishReason.LENGTH)))
                .isEqualTo("id: 7\nevent: token\ndata: {\"text\":\"\",\"batch_id\":0,\"index\":9,"
                        + "\"finish_reason\":\"length\"}\n\n");
    }

    @Test
    void aRestartCarriesThePromptsTextSoFarAndItsOffsetUnlessItPrecedesTheResult() {
        assertThat(SseFormat.restart(12, new StreamRestart("r", 1, "A black", null)))
                .isEqualTo("id: 12\nevent: restart\ndata: {\"batch_id\":1,\"text\":\"A black\"}\n\n");
        assertThat(SseFormat.restart(-1, new StreamRestart("r", 0, "A black dog.", FinishReason.STOP)))
                .isEqualTo("event: restart\ndata: {\"batch_id\":0,\"text\":\"A black dog.\",\"finish_reason\":\"stop\"}"
                        + "\n\n");
    }

    @Test
    void theResultEventCarriesTheResultsTopicValue() {
        GenerationResult result = new GenerationResult("r", Texts.of("A cat."), FinishReason.STOP,
                GenerationResult.Usage.of(10, 3), null, "job", "rec", 5L, 80L, null, null, null);

        assertThat(SseFormat.result(result)).isEqualTo("event: result\ndata: {\"request_id\":\"r\",\"text\":\"A cat.\","
                + "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,"
                + "\"total_tokens\":13},\"job_id\":\"job\",\"record_id\":\"rec\",\"queued_ms\":5,\"inference_ms\":80}"
                + "\n\n");
    }

    @Test
    void errorsAndHeartbeats() {
        assertThat(SseFormat.error("timeout", "no events"))
                .isEqualTo("event: error\ndata: {\"error\":{\"code\":\"timeout\",\"message\":\"no events\"}}\n\n");
        assertThat(SseFormat.HEARTBEAT).isEqualTo(": keep-alive\n\n");
    }
}
