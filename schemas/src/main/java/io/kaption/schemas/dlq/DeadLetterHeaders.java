package io.kaption.schemas.dlq;

/**
 * Headers a dead-letter record carries next to the original record's own headers, key and value. Every header value
 * is UTF-8 text so that {@code kcat -f '%h'} shows it as it is.
 */
public final class DeadLetterHeaders {

    /** Why the record was not processed, e.g. {@code invalid kaption.requests/v1 value: $.text: ...}. */
    public static final String REASON = "kaption.dlq.reason";
    /** Class of the exception that rejected the record. */
    public static final String ERROR_CLASS = "kaption.dlq.error.class";
    public static final String SOURCE_TOPIC = "kaption.dlq.source.topic";
    public static final String SOURCE_PARTITION = "kaption.dlq.source.partition";
    public static final String SOURCE_OFFSET = "kaption.dlq.source.offset";
    /** The original record's timestamp, epoch milliseconds. */
    public static final String SOURCE_TIMESTAMP = "kaption.dlq.source.timestamp";
    /** When the record was dead-lettered, ISO-8601 UTC. */
    public static final String FAILED_AT = "kaption.dlq.failed.at";

    private DeadLetterHeaders() {}
}
