package io.kaption.ingest.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class JobSubmissionTest {

    private static ObjectNode body(String json) {
        return Json.parseObject(json.getBytes(StandardCharsets.UTF_8), "body");
    }

    private static JobSubmission parse(String json) {
        return JobSubmission.parse(body(json));
    }

    private static ApiException refusal(String json) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> parse(json));
        assertThat(e).as("refused: " + json).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        return e;
    }

    @Test
    void anImagesJobWithDefaults() {
        JobSubmission job = parse("{\"input\":\"s3://in-bucket/cats/\",\"output\":\"s3://out-bucket/runs\","
                + "\"template\":{\"text\":\"Describe it.\",\"max_new_tokens\":64}}");

        assertThat(job.inputFormat()).isEqualTo(InputFormat.IMAGES);
        assertThat(job.consumerGroup()).isEqualTo("primary");
        assertThat(job.clientToken()).isNull();
        assertThat(Json.write(job.template())).isEqualTo("{\"text\":\"Describe it.\",\"max_new_tokens\":64}");
        assertThat(job.newJobId(null)).matches("job-[0-9a-f]{32}").isNotEqualTo(job.newJobId(null));
    }

    @Test
    void aJsonlSuffixMakesAManifestJobWhoseTemplateNeedsNoText() {
        JobSubmission job = parse("{\"input\":\"s3://in-bucket/lists/batch.JSONL\",\"output\":\"s3://out-bucket/\","
                + "\"consumer_group\":\"gpu-a\",\"client_token\":\"t-1\"}");

        assertThat(job.inputFormat()).isEqualTo(InputFormat.JSONL);
        assertThat(job.template()).isEmpty();
        assertThat(job.newJobId(null)).isEqualTo(JobIds.forClientToken("gpu-a", "t-1"));
        // Two API keys using the same token submit two jobs; each key's resubmissions keep their id.
        assertThat(job.newJobId("key-0000000000000001")).isEqualTo(job.newJobId("key-0000000000000001"))
                .isNotEqualTo(job.newJobId("key-0000000000000002")).isNotEqualTo(job.newJobId(null));
    }

    @Test
    void anExplicitInputFormatWins() {
        assertThat(parse("{\"input\":\"s3://in-bucket/odd.jsonl\",\"input_format\":\"images\","
                + "\"output\":\"s3://out-bucket/\",\"template\":{\"text\":\"x\"}}").inputFormat())
                .isEqualTo(InputFormat.IMAGES);
        assertThat(parse("{\"input\":\"s3://in-bucket/manifest.txt\",\"input_format\":\"jsonl\","
                + "\"output\":\"s3://out-bucket/\"}").inputFormat()).isEqualTo(InputFormat.JSONL);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"}} | invalid_input",
            "{\"input\":7,\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"}} | invalid_input",
            "{\"input\":\"https://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"}} | invalid_input",
            "{\"input\":\"s3://In_B/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"}} | invalid_input",
            "{\"input\":\"s3://in-b/dir/\",\"input_format\":\"jsonl\",\"output\":\"s3://out-b/\"} | invalid_input",
            "{\"input\":\"s3://in-b/x/\",\"template\":{\"text\":\"x\"}} | invalid_output",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://1.2.3.4/o\",\"template\":{\"text\":\"x\"}} | invalid_output",
            "{\"input\":\"s3://in-b/x/\",\"input_format\":\"csv\",\"output\":\"s3://out-b/\"} | invalid_input_format",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":\"x\"} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\",\"job_id\":\"j\"}} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\",\"image_url\":\"s3://in-b/a.png\"}} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\",\"stream\":true}} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\",\"sampling_topp\":2}} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\",\"colour\":\"red\"}} | invalid_template",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"max_new_tokens\":5}} | text_required",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\"} | text_required",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"},\"consumer_group\":\"a b\"} | invalid_consumer_group",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"},\"consumer_group\":1} | invalid_consumer_group",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"},\"client_token\":\"\"} | invalid_client_token",
            "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"},\"priority\":1} | invalid_request",
    })
    void eachProblemHasItsCode(String json, String code) {
        assertThat(refusal(json).code()).isEqualTo(code);
    }

    @Test
    void templateViolationsNameTheTemplatesFields() {
        assertThat(refusal("{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\","
                + "\"template\":{\"text\":\"x\",\"sampling_topp\":2}}").getMessage())
                .isEqualTo("template does not make a valid request: template.sampling_topp: must have a maximum "
                        + "value of 1");
    }

    @Test
    void aTooLongClientTokenIsRefused() {
        String json = "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/\",\"template\":{\"text\":\"x\"},"
                + "\"client_token\":\"" + "t".repeat(257) + "\"}";
        assertThat(refusal(json).code()).isEqualTo("invalid_client_token");
    }

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource({
            "s3://b-1/images/, s3://b-1/images/out/",
            "s3://b-1/images, s3://b-1/images-out",
            "s3://b-1, s3://b-1/anything",
            "s3://b-1/images/, s3://b-1/images",
            "s3://b-1/jo, s3://b-1",
    })
    void anImagesJobMayNotWriteUnderItsOwnInputPrefix(String input, String output) {
        JobSubmission job = parse("{\"input\":\"" + input + "\",\"output\":\"" + output + "\","
                + "\"template\":{\"text\":\"x\"}}");
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> job.requireOutputOutsideInput(JobIds.random()));
        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("output_inside_input");
    }

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource({
            "s3://b-1/images/, s3://b-2/images/",
            "s3://b-1/images/, s3://b-1/outputs/",
            "s3://b-1/images/, s3://b-1/",
            "s3://b-1/lists/m.jsonl, s3://b-1/lists/",
    })
    void outputsElsewhereAreFine(String input, String output) {
        JobSubmission job = parse("{\"input\":\"" + input + "\",\"output\":\"" + output + "\","
                + "\"template\":{\"text\":\"x\"}}");
        job.requireOutputOutsideInput(JobIds.random());
    }

    @Test
    void theSpecCarriesTheSubmissionAsSent() {
        JobSubmission job = parse("{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/o\","
                + "\"template\":{\"text\":\"x\"},\"client_token\":\"tok\",\"consumer_group\":\"g\"}");
        Instant now = Instant.parse("2026-01-02T03:04:05.678Z");

        assertThat(job.toSpec("job-1", now, null)).isEqualTo(new JobSpec("job-1", "s3://in-b/x/", InputFormat.IMAGES,
                "s3://out-b/o", body("{\"text\":\"x\"}"), "g", "tok", now));
    }

    @Test
    void aResubmissionMatchesWhenItsTemplateMakesTheSameRequest() {
        String base = "{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/o\",\"client_token\":\"tok\",";
        JobSpec earlier = parse(base + "\"template\":{\"text\":\"x\"}}").toSpec("job-1", Instant.EPOCH, null);

        assertThat(parse(base + "\"template\":{\"text\":\"x\"}}").sameParametersAs(earlier)).isTrue();
        assertThat(parse(base + "\"template\":{\"text\":\"x\",\"max_new_tokens\":128}}").sameParametersAs(earlier))
                .as("the contract's default spelt out").isTrue();
        assertThat(parse(base + "\"template\":{\"text\":\"y\"}}").sameParametersAs(earlier)).isFalse();
        assertThat(parse(base + "\"template\":{\"text\":\"x\",\"max_new_tokens\":5}}").sameParametersAs(earlier))
                .isFalse();
        assertThat(parse("{\"input\":\"s3://in-b/y/\",\"output\":\"s3://out-b/o\",\"client_token\":\"tok\","
                + "\"template\":{\"text\":\"x\"}}").sameParametersAs(earlier)).isFalse();
        assertThat(parse("{\"input\":\"s3://in-b/x/\",\"output\":\"s3://out-b/p\",\"client_token\":\"tok\","
                + "\"template\":{\"text\":\"x\"}}").sameParametersAs(earlier)).isFalse();
    }
}
