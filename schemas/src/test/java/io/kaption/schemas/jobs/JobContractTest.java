package io.kaption.schemas.jobs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.GenerationResult.Usage;
import io.kaption.schemas.Texts;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobContractTest {

    private static final Instant AT = Instant.parse("2026-11-23T09:00:00Z");

    private static JobSpec spec(String jobId) {
        ObjectNode template = JsonNodeFactory.instance.objectNode().put("text", "Describe the image.")
                .put("max_new_tokens", 32);
        return new JobSpec(jobId, "s3://kaption-in/cats/", InputFormat.IMAGES, "s3://kaption-out/captions/", template, "primary",
                "tok-1", AT);
    }

    @Test
    void jobSpecsRoundTripWithTheirWireNames() {
        JobSpec spec = spec("job-7");
        String json = new String(ContractCodec.JOBS.encode(spec), UTF_8);
        assertThat(json).isEqualTo("{\"job_id\":\"job-7\",\"input\":\"s3://kaption-in/cats/\",\"input_format\":\"images\","
                + "\"output\":\"s3://kaption-out/captions/\",\"template\":{\"text\":\"Describe the image.\","
                + "\"max_new_tokens\":32},\"consumer_group\":\"primary\",\"client_token\":\"tok-1\","
                + "\"created_at\":\"2026-11-23T09:00:00Z\"}");
        assertThat(ContractCodec.JOBS.decode(json.getBytes(UTF_8))).isEqualTo(spec);
    }

    @Test
    void jobSpecDefaultsAndRefusals() {
        JobSpec minimal = ContractCodec.JOBS.decode(("{\"job_id\":\"j\",\"input\":\"s3://kaption-in/m.jsonl\","
                + "\"input_format\":\"jsonl\",\"output\":\"s3://kaption-out\",\"created_at\":\"2026-11-23T09:00:00Z\"}")
                .getBytes(UTF_8));
        assertThat(minimal.consumerGroup()).isEqualTo("primary");
        assertThat(minimal.template()).isEmpty();
        assertThatThrownBy(() -> ContractCodec.JOBS.decode(("{\"job_id\":\"a/b\",\"input\":\"https://x/\","
                + "\"input_format\":\"images\",\"output\":\"s3://kaption-out\",\"template\":{\"request_id\":\"x\"},"
                + "\"created_at\":\"2026-11-23T09:00:00Z\"}").getBytes(UTF_8)))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("$.job_id: must be 1 to 128 characters")
                .hasMessageContaining("$.input: must be s3://bucket/prefix or s3://bucket/key")
                .hasMessageContaining("$.template");
    }

    @Test
    void plansCountRecordsAndKeepTheirCursor() {
        JobPlan plan = new JobPlan("job-7", 1000, "cats/0999.jpg", null, false, false, null, AT);
        String json = new String(ContractCodec.JOB_PLANS.encode(plan), UTF_8);
        assertThat(json).isEqualTo("{\"job_id\":\"job-7\",\"records\":1000,\"last_key\":\"cats/0999.jpg\","
                + "\"done\":false,\"cancelled\":false,\"updated_at\":\"2026-11-23T09:00:00Z\"}");
        assertThat(ContractCodec.JOB_PLANS.decode(json.getBytes(UTF_8))).isEqualTo(plan);
        assertThatThrownBy(() -> new JobPlan("j", 3, null, null, false, true, null, AT))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statusOfASubmittedJobIsValidating() {
        JobStatus status = JobStatus.submitted(spec("job-7"));
        String json = new String(ContractCodec.JOB_STATUS.encode(status), UTF_8);
        assertThat(json).isEqualTo("{\"job_id\":\"job-7\",\"state\":\"validating\",\"input\":\"s3://kaption-in/cats/\","
                + "\"input_format\":\"images\",\"output\":\"s3://kaption-out/captions/\",\"consumer_group\":\"primary\","
                + "\"client_token\":\"tok-1\",\"created_at\":\"2026-11-23T09:00:00Z\","
                + "\"updated_at\":\"2026-11-23T09:00:00Z\",\"counts\":{\"planned\":0,\"completed\":0,\"failed\":0},"
                + "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}");
        assertThat(ContractCodec.JOB_STATUS.decode(json.getBytes(UTF_8))).isEqualTo(status);
        assertThat(JobState.VALIDATING.isTerminal()).isFalse();
        assertThat(JobState.PARTIALLY_COMPLETED.isTerminal()).isTrue();
    }

    @Test
    void resultsBecomeNumberedLinesOfTheirKind() {
        GenerationRequest request = GenerationRequest.builder("job-7-r3", Texts.of("hi"), "s3://kaption-in/cats/3.jpg")
                .jobId("job-7").recordId("cats/3.jpg").build();
        JobRecord ok = JobRecord.line(GenerationResult.completed(request, Texts.of("A cat."), FinishReason.STOP,
                Usage.of(5, 2), 1L, 2L), "s3://kaption-out/", 0);
        assertThat(new String(ContractCodec.JOB_RECORDS.encode(ok), UTF_8)).isEqualTo(
                "{\"job_id\":\"job-7\",\"type\":\"result\",\"output\":\"s3://kaption-out/\",\"seq\":0,\"request_id\":"
                        + "\"job-7-r3\",\"record_id\":\"cats/3.jpg\",\"image_url\":\"s3://kaption-in/cats/3.jpg\","
                        + "\"text\":\"A cat.\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":5,"
                        + "\"completion_tokens\":2,\"total_tokens\":7}}");
        JobRecord failed = JobRecord.line(GenerationResult.failed(request, new Failure("image_invalid", "not an image"),
                null, null), "s3://kaption-out/", 4);
        assertThat(failed.type()).isEqualTo(JobRecordType.ERROR);
        assertThat(failed.finishReason()).isNull();
        assertThat(ContractCodec.JOB_RECORDS.decode(ContractCodec.JOB_RECORDS.encode(failed))).isEqualTo(failed);

        JobRecord end = JobRecord.end(JobStatus.submitted(spec("job-7")));
        assertThat(ContractCodec.JOB_RECORDS.decode(ContractCodec.JOB_RECORDS.encode(end))).isEqualTo(end);
        assertThatThrownBy(() -> ContractCodec.JOB_RECORDS.decode(
                "{\"job_id\":\"j\",\"type\":\"result\",\"output\":\"s3://o/\"}".getBytes(UTF_8)))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("seq");
    }

    @Test
    void outputsRoundTrip() {
        JobOutputs outputs = new JobOutputs("job-7", "s3://kaption-out/job-7/manifest.json", 2, 1, AT);
        assertThat(new String(ContractCodec.JOB_OUTPUTS.encode(outputs), UTF_8)).isEqualTo(
                "{\"job_id\":\"job-7\",\"manifest_uri\":\"s3://kaption-out/job-7/manifest.json\",\"result_shards\":2,"
                        + "\"error_shards\":1,\"written_at\":\"2026-11-23T09:00:00Z\"}");
        assertThat(ContractCodec.JOB_OUTPUTS.decode(ContractCodec.JOB_OUTPUTS.encode(outputs))).isEqualTo(outputs);
    }
}
