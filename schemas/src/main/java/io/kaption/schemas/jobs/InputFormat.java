package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a bucket job's {@code input} points at. */
public enum InputFormat {
    /** An S3 prefix: every object under it is one record, its key the record id. */
    @JsonProperty("images") IMAGES,
    /** An S3 object of JSON lines, one record per line ({@code record_id}, {@code image_url}, own fields). */
    @JsonProperty("jsonl") JSONL
}
