package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.kaption.schemas.GenerationResult.Failure;
import java.time.Instant;
import java.util.Objects;

/**
 * Value of {@code kaption.job-status} (schema {@code kaption.job-status/v1.json}): where a bucket job stands, kept by
 * the result sink's progress topology and served by the job API. {@code manifestUri} is set once the manifest is
 * written; {@code error} when the job failed as a whole (its input could not be read).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobStatus(
        String jobId,
        JobState state,
        String input,
        InputFormat inputFormat,
        String output,
        String consumerGroup,
        String clientToken,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt,
        JobCounts counts,
        JobUsage usage,
        Failure error,
        String manifestUri) {

    public JobStatus {
        Objects.requireNonNull(jobId, "job_id");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(inputFormat, "input_format");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(consumerGroup, "consumer_group");
        Objects.requireNonNull(createdAt, "created_at");
        Objects.requireNonNull(updatedAt, "updated_at");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(usage, "usage");
    }

    /** The status of a job nobody has started on yet. */
    public static JobStatus submitted(JobSpec spec) {
        return new JobStatus(spec.jobId(), JobState.VALIDATING, spec.input(), spec.inputFormat(), spec.output(),
                spec.consumerGroup(), spec.clientToken(), spec.createdAt(), spec.createdAt(), null, JobCounts.NONE,
                JobUsage.NONE, null, null);
    }
}
