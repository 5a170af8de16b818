package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PlannedRecordTest {

    private static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");

    private static JobSpec spec(String template) throws Exception {
        return new JobSpec("job-abc", "s3://in-bucket/m.jsonl", InputFormat.JSONL, "s3://out-bucket/o/",
                (ObjectNode) ManifestLine.MAPPER.readTree(template), "batch", null, NOW);
    }

    @Test
    void mergesTheLinesFieldsOverTheTemplateAndSetsTheJobFields() throws Exception {
        JobSpec spec = spec("{\"text\":\"Describe.\",\"max_new_tokens\":32,\"sampling_temperature\":0.5}");
        ObjectNode overrides = (ObjectNode) ManifestLine.MAPPER.readTree("{\"text\":[\"a\",\"b\"],\"sampling_topk\":4}");

        PlannedRecord planned = PlannedRecord.of(spec, 12, "rec-1", "s3://in-bucket/i/1.png", overrides, NOW);

        assertThat(planned).isInstanceOf(PlannedRecord.Request.class);
        GenerationRequest request = ((PlannedRecord.Request) planned).request();
        assertThat(request).isEqualTo(GenerationRequest.builder("job-abc-12", Texts.ofList(java.util.List.of("a", "b")),
                        "s3://in-bucket/i/1.png")
                .consumerGroup("batch").maxNewTokens(32).samplingTemperature(0.5).samplingTopk(4)
                .jobId("job-abc").recordId("rec-1").createdAt(NOW).build());
        assertThat(new String(((PlannedRecord.Request) planned).value(), StandardCharsets.UTF_8))
                .isEqualTo(new String(ContractCodec.REQUESTS.encode(request), StandardCharsets.UTF_8));
        assertThat(spec.template().has("request_id")).as("the template is not changed").isFalse();
    }

    @Test
    void aConversationRecordCarriesItsImagesInImageUrlsAndNoImageUrl() throws Exception {
        ObjectNode overrides = (ObjectNode) ManifestLine.MAPPER.readTree("{\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image\",\"index\":0},{\"type\":\"text\",\"text\":\"What?\"}]}],"
                + "\"image_urls\":[\"s3://in-bucket/1.png\"],\"sampling_topk\":1}");

        PlannedRecord planned = PlannedRecord.of(spec("{}"), 5, "req-5", null, overrides, NOW);

        assertThat(planned).isInstanceOfSatisfying(PlannedRecord.Request.class, r -> {
            assertThat(r.request().imageUrl()).isNull();
            assertThat(r.request().imageUrls()).containsExactly("s3://in-bucket/1.png");
            assertThat(r.request().recordId()).isEqualTo("req-5");
        });
    }

    @Test
    void refusesARecordWhoseRequestIsInvalid() throws Exception {
        JobSpec spec = spec("{\"text\":\"Describe.\"}");
        ObjectNode overrides = (ObjectNode) ManifestLine.MAPPER.readTree("{\"max_tokens\":5}");

        PlannedRecord planned = PlannedRecord.of(spec, 3, "rec-3", "s3://in-bucket/3.png", overrides, NOW);

        assertThat(planned).isInstanceOf(PlannedRecord.Refused.class);
        GenerationResult result = ((PlannedRecord.Refused) planned).result();
        assertThat(result.requestId()).isEqualTo("job-abc-3");
        assertThat(result.finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(result.error().code()).isEqualTo("invalid_record");
        assertThat(result.error().message()).contains("max_tokens");
        assertThat(result.jobId()).isEqualTo("job-abc");
        assertThat(result.recordId()).isEqualTo("rec-3");
        assertThat(result.imageUrl()).isEqualTo("s3://in-bucket/3.png");
        // the refusal is itself a valid result
        assertThat(ContractCodec.RESULTS.decode(ContractCodec.RESULTS.encode(result))).isEqualTo(result);
    }

    @Test
    void refusesAnImageUrlTheContractDoesNotAccept() throws Exception {
        PlannedRecord planned = PlannedRecord.of(spec("{\"text\":\"x\"}"), 0, "r", "ftp://host/x.png", null, NOW);
        assertThat(planned).isInstanceOfSatisfying(PlannedRecord.Refused.class,
                r -> assertThat(r.result().error().message()).contains("$.image_url"));
    }

    @Test
    void refusesARequestTooLargeForKafka() throws Exception {
        ObjectNode overrides = ManifestLine.MAPPER.createObjectNode().put("text", "x".repeat(1_000_001));
        PlannedRecord planned = PlannedRecord.of(spec("{\"text\":\"x\"}"), 0, "r", "s3://in-bucket/k", overrides, NOW);
        assertThat(planned).isInstanceOfSatisfying(PlannedRecord.Refused.class,
                r -> assertThat(r.result().error().message()).contains("more than the 1000000"));
    }
}
