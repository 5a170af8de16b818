package io.kaption.worker.metrics;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/** Counts added over a sliding window of time, as a rate per second; thread-safe. */
final class ThroughputWindow {

    private record Entry(long nanos, long count) {
    }

    private final long windowNanos;
    private final Deque<Entry> entries = new ArrayDeque<>();
    private long sum;

    ThroughputWindow(Duration window) {
        this.windowNanos = window.toNanos();
    }

    synchronized void add(long count, long nanos) {
        entries.addLast(new Entry(nanos, count));
        sum += count;
        evict(nanos);
    }

    /** What was added in the window that ends at {@code nanos}, per second of the window. */
    synchronized double perSecond(long nanos) {
        evict(nanos);
        return sum / (windowNanos / 1e9);
    }

    private void evict(long nanos) {
        while (!entries.isEmpty() && nanos - entries.peekFirst().nanos() > windowNanos) {
            sum -= entries.removeFirst().count();
        }
    }
}
