package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Texts;
import java.util.Objects;

/**
 * Value of {@code kaption.job-records} (schema {@code kaption.job-records/v1.json}), key job_id: the progress
 * topology's deduplicated output. Every planned record of a job appears once, as a {@code result} or an {@code error},
 * numbered by {@code seq} densely from 0 within its type, so that shard {@code n} of a type holds exactly the seqs
 * {@code [n × size, (n + 1) × size)} whoever writes it and however often. Then one {@code end} carries the job's
 * final {@code status}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRecord(
        String jobId,
        JobRecordType type,
        String output,
        Long seq,
        String requestId,
        String recordId,
        String imageUrl,
        Texts text,
        FinishReason finishReason,
        GenerationResult.Usage usage,
        Failure error,
        JobStatus status) {

    public JobRecord {
        Objects.requireNonNull(jobId, "job_id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(output, "output");
        if ((type == JobRecordType.END) != (status != null) || (type == JobRecordType.END) == (seq != null)) {
            throw new IllegalArgumentException("an end record has a status and no seq, a line a seq and no status");
        }
    }

    /** The line of a job's result: a result line when it completed, an error line when it failed. */
    public static JobRecord line(GenerationResult result, String output, long seq) {
        JobRecordType type = result.finishReason() == FinishReason.ERROR ? JobRecordType.ERROR : JobRecordType.RESULT;
        return new JobRecord(result.jobId(), type, output, seq, result.requestId(), result.recordId(),
                result.imageUrl(), result.text(), type == JobRecordType.RESULT ? result.finishReason() : null,
                result.usage(), result.error(), null);
    }

    public static JobRecord end(JobStatus status) {
        return new JobRecord(status.jobId(), JobRecordType.END, status.output(), null, null, null, null, null, null,
                null, null, status);
    }
}
