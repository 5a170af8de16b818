package io.kaption.worker.consume;

import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Topics;
import java.time.Instant;

/**
 * A request record the worker took on: the decoded request, where it came from, when the worker started on it, and
 * the ticket that lets its offset be committed once its result is acknowledged.
 *
 * @param lane            the topic it came from: interactive requests are served before bulk ones
 * @param source          {@code topic-partition@offset}, for logs
 * @param recordTimestamp the record's Kafka timestamp, epoch ms ({@code queued_ms} counts from it without
 *                        {@code created_at})
 * @param acceptedAt      when the worker started on it (wall clock, for {@code queued_ms})
 * @param acceptedNanos   the same moment on the monotonic clock, for {@code inference_ms}
 */
public record AcceptedRequest(GenerationRequest request, Lane lane, String source, long recordTimestamp, Instant acceptedAt,
        long acceptedNanos, OffsetTracker.Ticket ticket) {

    public String requestId() {
        return request.requestId();
    }

    /** The consumer group whose topic it came from (the topic of {@code source}, less its prefix). */
    public String consumerGroup() {
        String topic = source.substring(0, source.lastIndexOf('-', source.lastIndexOf('@')));
        return topic.substring((lane == Lane.BULK ? Topics.BULK_PREFIX : Topics.REQUESTS_PREFIX).length());
    }

    /** Milliseconds from {@code created_at} (else the record's timestamp) until the worker started on it, ≥ 0. */
    public long queuedMillis() {
        long since = request.createdAt() != null ? request.createdAt().toEpochMilli() : recordTimestamp;
        return Math.max(0, acceptedAt.toEpochMilli() - since);
    }
}
