package io.kaption.schemas.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.Objects;

/**
 * Value of {@code kaption.job-outputs} (schema {@code kaption.job-outputs/v1.json}), key job_id: the shard writer has
 * written every shard and the manifest of the job. The progress topology then moves the job to its final state.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobOutputs(String jobId, String manifestUri, int resultShards, int errorShards, Instant writtenAt) {

    public JobOutputs {
        Objects.requireNonNull(jobId, "job_id");
        Objects.requireNonNull(manifestUri, "manifest_uri");
        Objects.requireNonNull(writtenAt, "written_at");
    }
}
