package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.kaption.schemas.GenerationResult.Failure;
import java.time.Instant;
import java.util.Objects;

/**
 * Value of {@code kaption.job-plans} (schema {@code kaption.job-plans/v1.json}): how far the planner of a job got.
 * Written in the same Kafka transaction as the requests it counts, so a restarted planner resumes from the last one
 * without duplicating or skipping a record. {@code records} counts every record planned so far, those refused at
 * planning (which get their error result in the same transaction) included; once {@code done}, it is the job's total.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobPlan(
        String jobId,
        long records,
        String lastKey,
        Long byteOffset,
        boolean done,
        boolean cancelled,
        Failure error,
        Instant updatedAt) {

    public JobPlan {
        Objects.requireNonNull(jobId, "job_id");
        Objects.requireNonNull(updatedAt, "updated_at");
        if (records < 0) {
            throw new IllegalArgumentException("records must be >= 0, got " + records);
        }
        if ((cancelled || error != null) && !done) {
            throw new IllegalArgumentException("a cancelled or failed plan is done");
        }
    }
}
