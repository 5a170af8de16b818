package io.kaption.worker.cancel;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Request ids someone asked to cancel, remembered for a while: a cancellation may arrive before the request itself
 * (still queued in Kafka), so it is kept until it is old enough that the request is surely gone. Bounded in time
 * and in size. Thread-safe.
 */
public final class CancelledRequests {

    /** How long a cancellation is remembered. */
    public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
    /** Most cancellations remembered at once; the oldest are forgotten first. */
    public static final int DEFAULT_CAPACITY = 100_000;

    private record Entry(String reason, long atNanos) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final long retentionNanos;
    private final int capacity;
    private final LongSupplier nanoTime;

    public CancelledRequests() {
        this(DEFAULT_RETENTION, DEFAULT_CAPACITY, System::nanoTime);
    }

    CancelledRequests(Duration retention, int capacity, LongSupplier nanoTime) {
        this.retentionNanos = retention.toNanos();
        this.capacity = capacity;
        this.nanoTime = nanoTime;
    }

    /** Remembers that {@code requestId} is cancelled; {@code reason} may be null. */
    public synchronized void cancel(String requestId, String reason) {
        long now = nanoTime.getAsLong();
        entries.remove(requestId); // re-insert: insertion order stays age order
        entries.put(requestId, new Entry(reason == null ? "" : reason, now));
        Iterator<Entry> oldest = entries.values().iterator();
        while (oldest.hasNext()) {
            Entry entry = oldest.next();
            if (entries.size() <= capacity && now - entry.atNanos() <= retentionNanos) {
                break;
            }
            oldest.remove();
        }
    }

    /** The reason given (possibly empty) when {@code requestId} was cancelled recently; empty when it was not. */
    public synchronized Optional<String> reason(String requestId) {
        Entry entry = entries.get(requestId);
        if (entry == null || nanoTime.getAsLong() - entry.atNanos() > retentionNanos) {
            return Optional.empty();
        }
        return Optional.of(entry.reason());
    }

    synchronized int size() {
        return entries.size();
    }
}
