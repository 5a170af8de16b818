package io.kaption.sink.jobs.shards;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.jobs.JobUsage;
import java.time.Instant;

/** Job records as the progress topology writes them, for tests. */
final class JobLines {

    static final Instant CREATED = Instant.parse("2025-01-02T03:04:05Z");
    static final Instant ENDED = Instant.parse("2025-01-02T04:05:06.789Z");

    private JobLines() {
    }

    static JobRecord result(String jobId, String output, long seq) {
        return new JobRecord(jobId, JobRecordType.RESULT, output, seq, jobId + "-r" + seq, "images/r" + seq + ".png",
                "s3://in/images/r" + seq + ".png", Texts.of("caption " + seq), FinishReason.STOP,
                new GenerationResult.Usage(10, (int) (seq % 7), 10 + (int) (seq % 7)), null, null);
    }

    static JobRecord error(String jobId, String output, long seq) {
        return new JobRecord(jobId, JobRecordType.ERROR, output, seq, jobId + "-e" + seq, "images/e" + seq + ".png",
                "s3://in/images/e" + seq + ".png", null, null, null,
                new GenerationResult.Failure("image_invalid", "not an image: e" + seq), null);
    }

    /** The expected line of {@link #result}. */
    static String resultLine(String jobId, long seq) {
        return "{\"record_id\":\"images/r" + seq + ".png\",\"image_url\":\"s3://in/images/r" + seq
                + ".png\",\"text\":\"caption " + seq + "\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":10,"
                + "\"completion_tokens\":" + (seq % 7) + ",\"total_tokens\":" + (10 + seq % 7) + "},\"request_id\":\""
                + jobId + "-r" + seq + "\"}";
    }

    /** The expected line of {@link #error}. */
    static String errorLine(String jobId, long seq) {
        return "{\"record_id\":\"images/e" + seq + ".png\",\"image_url\":\"s3://in/images/e" + seq
                + ".png\",\"error\":{\"code\":\"image_invalid\",\"message\":\"not an image: e" + seq
                + "\"},\"request_id\":\"" + jobId + "-e" + seq + "\"}";
    }

    static JobStatus endStatus(String jobId, String output, long completed, long failed) {
        JobState state = failed == 0 ? JobState.COMPLETED : completed == 0 ? JobState.FAILED
                : JobState.PARTIALLY_COMPLETED;
        return new JobStatus(jobId, state, "s3://in/images/", InputFormat.IMAGES, output, "primary", null, CREATED,
                ENDED, null, new JobCounts(completed + failed, completed + failed, completed, failed),
                new JobUsage(10 * completed, 3 * completed, 13 * completed), null, null);
    }

    static JobRecord end(String jobId, String output, long completed, long failed) {
        return JobRecord.end(endStatus(jobId, output, completed, failed));
    }
}
