package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Record counts of a job. {@code total} is known once planning is done; {@code planned} counts the records published
 * so far; {@code completed} and {@code failed} count result and error lines (each record once, redeliveries aside).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobCounts(Long total, long planned, long completed, long failed) {

    public static final JobCounts NONE = new JobCounts(null, 0, 0, 0);

    /** Records with a line, of either kind. */
    public long finished() {
        return completed + failed;
    }
}
