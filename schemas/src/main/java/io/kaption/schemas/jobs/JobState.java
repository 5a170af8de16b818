package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Lifecycle of a bucket job: {@code validating → in_progress → finalizing → completed | partially_completed | failed},
 * or through {@code cancelling} to {@code cancelled}. The names are those of OpenAI's Batch API where it has one.
 */
public enum JobState {
    /** Accepted; the planner has not yet opened its input. */
    @JsonProperty("validating") VALIDATING,
    /** The planner is publishing its records, or they are being generated. */
    @JsonProperty("in_progress") IN_PROGRESS,
    /** Every record has its line; the shard writer is writing the last shards and the manifest. */
    @JsonProperty("finalizing") FINALIZING,
    /** Cancel was asked: planning stops and queued records end as {@code cancelled} error lines. */
    @JsonProperty("cancelling") CANCELLING,
    /** Every record has a result line; the manifest is written. */
    @JsonProperty("completed") COMPLETED,
    /** Some records have result lines and some error lines; the manifest is written. */
    @JsonProperty("partially_completed") PARTIALLY_COMPLETED,
    /** The input could not be read (see the status' error), or every record failed; the manifest is written. */
    @JsonProperty("failed") FAILED,
    /** Cancelled; the lines of the records that had finished and the manifest are written. */
    @JsonProperty("cancelled") CANCELLED;

    /** True for the states a job never leaves. */
    public boolean isTerminal() {
        return this == COMPLETED || this == PARTIALLY_COMPLETED || this == FAILED || this == CANCELLED;
    }
}
