package io.kaption.ingest.takeoff;

import io.kaption.ingest.http.Json;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TakeoffResponsesTest {

    private static GenerationResult result(Texts text, GenerationResult.Usage usage) {
        return new GenerationResult("r", text, FinishReason.STOP, usage, null, null, null, null, null, null, null,
                null);
    }

    @Test
    void theBodyHasTheShapeOfTheRequestsText() {
        assertThat(Json.write(TakeoffResponses.body(result(Texts.of("A cat."), null), false)))
                .isEqualTo("{\"text\":\"A cat.\"}");
        assertThat(Json.write(TakeoffResponses.body(result(Texts.ofList(List.of("a", "b")), null), false)))
                .isEqualTo("{\"text\":[\"a\",\"b\"]}");
    }

    @Test
    void metadataCarriesTheTokenCounts() {
        assertThat(Json.write(TakeoffResponses.body(result(Texts.of("x"), GenerationResult.Usage.of(7, 3)), true)))
                .isEqualTo("{\"text\":\"x\",\"metadata\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}");
        assertThat(Json.write(TakeoffResponses.body(result(Texts.of("x"), null), true)))
                .isEqualTo("{\"text\":\"x\",\"metadata\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}");
    }

    @Test
    void chunksCarryTextAndBatchId() {
        assertThat(TakeoffResponses.chunk(TokenEvent.chunk("r", 2, 5, " \"quoted\"\n")))
                .isEqualTo("{\"text\":\" \\\"quoted\\\"\\n\",\"batch_id\":2}");
        assertThat(TakeoffResponses.metadataChunk(1, GenerationResult.Usage.of(1, 2)))
                .isEqualTo("{\"text\":\"\",\"batch_id\":1,\"metadata\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
                        + "\"total_tokens\":3}}");
    }
}
