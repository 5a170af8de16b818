package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Kinds of {@code kaption.job-records} values. */
public enum JobRecordType {
    /** A record that completed: one line of the result shards. */
    @JsonProperty("result") RESULT,
    /** A record that failed: one line of the error shards. */
    @JsonProperty("error") ERROR,
    /** The job's last record: every record has its line; write the last shards and the manifest. */
    @JsonProperty("end") END
}
