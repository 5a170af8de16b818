package io.kaption.ingest.generation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DraftsTest {

    @Test
    void withImageChangesTheImageAndNothingElse() {
        GenerationRequest draft = GenerationRequest.builder("r", Texts.ofList(List.of("a", "b")), null)
                .stream(true).consumerGroup("g").samplingTemperature(0.5).samplingTopp(0.8).samplingTopk(7)
                .repetitionPenalty(1.1).noRepeatNgramSize(2).maxNewTokens(9).minNewTokens(1).promptMaxTokens(100)
                .regexString("x+").jsonSchema(JsonNodeFactory.instance.objectNode().put("type", "string"))
                .useChatTemplate(false).loraId("l").outputUri("s3://bucket/key").jobId("j").recordId("rec")
                .createdAt(Instant.parse("2026-11-23T09:00:00Z"))
                .build();

        GenerationRequest published = Drafts.withImage(draft, "s3://images/requests/r/abc.png");

        assertThat(published.imageUrl()).isEqualTo("s3://images/requests/r/abc.png");
        assertThat(published).usingRecursiveComparison().ignoringFields("imageUrl").isEqualTo(draft);
    }
}
