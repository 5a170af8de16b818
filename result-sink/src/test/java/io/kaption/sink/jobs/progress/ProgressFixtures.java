package io.kaption.sink.jobs.progress;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobOutputs;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import java.time.Instant;

/** Values of a job with records {@code <job_id>-<n>} over the images {@code s3://kaption-in/cats/<n>.jpg}. */
final class ProgressFixtures {

    static final Instant CREATED = Instant.parse("2026-03-01T10:00:00Z");

    private ProgressFixtures() {}

    static JobSpec spec(String jobId) {
        ObjectNode template = JsonNodeFactory.instance.objectNode().put("text", "Describe the image.");
        return new JobSpec(jobId, "s3://kaption-in/cats/", InputFormat.IMAGES, "s3://kaption-out/runs", template,
                "primary", null, CREATED);
    }

    static JobPlan plan(String jobId, long records, boolean done) {
        return new JobPlan(jobId, records, records == 0 ? null : "cats/" + (records - 1) + ".jpg", null, done, false,
                null, CREATED);
    }

    static JobPlan cancelledPlan(String jobId, long records) {
        return new JobPlan(jobId, records, null, null, true, true, null, CREATED);
    }

    static JobPlan failedPlan(String jobId, long records) {
        return new JobPlan(jobId, records, null, null, true, false,
                new GenerationResult.Failure("input_unavailable", "s3://kaption-in/cats/: AccessDenied"), CREATED);
    }

    static GenerationResult completed(String jobId, int n, String text) {
        return new GenerationResult(jobId + "-" + n, Texts.of(text), FinishReason.STOP,
                GenerationResult.Usage.of(100 + n, 10), null, jobId, "cats/" + n + ".jpg", 5L, 50L, null,
                "s3://kaption-in/cats/" + n + ".jpg", null);
    }

    static GenerationResult failed(String jobId, int n, String code) {
        return new GenerationResult(jobId + "-" + n, null, FinishReason.ERROR, null,
                new GenerationResult.Failure(code, "record " + n + ": " + code), jobId, "cats/" + n + ".jpg", 5L, 1L,
                null, "s3://kaption-in/cats/" + n + ".jpg", null);
    }

    static JobOutputs outputs(String jobId) {
        return new JobOutputs(jobId, "s3://kaption-out/runs/" + jobId + "/manifest.json", 1, 1,
                Instant.parse("2026-03-01T11:00:00Z"));
    }
}
