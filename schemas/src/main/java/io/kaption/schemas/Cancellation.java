package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.Objects;

/**
 * Value of {@code kaption.cancellations} (schema {@code kaption.cancellations/v1.json}): stop generating for
 * {@code requestId}, or for every request of bucket job {@code jobId}. Every worker reads every cancellation; the one
 * holding a request ends it with an error result of code {@code cancelled}. Exactly one of the two ids is set.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Cancellation(String requestId, String reason, String jobId) {

    /** The error code of the result of a cancelled request. */
    public static final String ERROR_CODE = "cancelled";

    public Cancellation {
        if ((requestId == null) == (jobId == null)) {
            throw new IllegalArgumentException("a cancellation names a request_id or a job_id, exactly one of them");
        }
    }

    /** Cancels one request. */
    public Cancellation(String requestId, String reason) {
        this(Objects.requireNonNull(requestId, "request_id"), reason, null);
    }

    /** Cancels every request of a bucket job, and the job's planning. */
    public static Cancellation ofJob(String jobId, String reason) {
        return new Cancellation(null, reason, Objects.requireNonNull(jobId, "job_id"));
    }

    /** The record key: the request id or the job id. */
    public String key() {
        return requestId != null ? requestId : jobId;
    }
}
