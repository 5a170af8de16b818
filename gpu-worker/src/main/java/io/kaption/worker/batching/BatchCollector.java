package io.kaption.worker.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * Micro-batching by size or linger (Takeoff's {@code TAKEOFF_MAX_BATCH_SIZE} and {@code TAKEOFF_BATCH_DURATION_MILLIS}):
 * when the engine is idle, wait for a first request, then keep collecting until the batch holds
 * {@code maxRows} engine rows or {@code linger} has passed since the first one, so that requests arriving
 * together are prefilled together. The linger is spent only while more items are on their way
 * ({@link Source#pending}): a lone request on an idle worker starts at once, and later arrivals join it between
 * decode steps. While the engine runs, {@link #drain} takes what is already there without waiting (continuous
 * batching: they join the running rows).
 */
public final class BatchCollector<T> {

    /** Where items come from; {@link java.util.concurrent.BlockingQueue#poll(long, TimeUnit)} semantics. */
    public interface Source<T> {
        /** The next item, waiting up to {@code timeout}; null when none came. */
        T poll(long timeout, TimeUnit unit) throws InterruptedException;

        /** Items known to be on their way (taken on, not yet returned by a poll); 0 when a poll would wait in vain. */
        int pending();
    }

    private final int maxRows;
    private final long lingerNanos;
    private final ToIntFunction<T> rows;
    private final LongSupplier nanoTime;
    private long lastLingerNanos;

    /**
     * @param maxRows  engine rows a batch holds
     * @param linger   how long after the first item the batch may wait for more
     * @param rows     engine rows an item takes
     * @param nanoTime monotonic clock
     */
    public BatchCollector(int maxRows, Duration linger, ToIntFunction<T> rows, LongSupplier nanoTime) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
        this.maxRows = maxRows;
        this.lingerNanos = linger.toNanos();
        this.rows = rows;
        this.nanoTime = nanoTime;
    }

    /**
     * Waits up to {@code firstWait} for a first item, then collects until {@code maxRows} rows, the linger after
     * the first item elapsed, or no more items are on their way. Empty when nothing came within {@code firstWait}.
     */
    public List<T> collect(Source<T> source, Duration firstWait) throws InterruptedException {
        List<T> batch = new ArrayList<>();
        T first = source.poll(firstWait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
            return batch;
        }
        batch.add(first);
        int taken = rows.applyAsInt(first);
        long firstNanos = nanoTime.getAsLong();
        long deadline = firstNanos + lingerNanos;
        while (taken < maxRows && source.pending() > 0) {
            long wait = deadline - nanoTime.getAsLong();
            if (wait <= 0) {
                break;
            }
            T next = source.poll(wait, TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
            taken += rows.applyAsInt(next);
        }
        lastLingerNanos = nanoTime.getAsLong() - firstNanos;
        return batch;
    }

    /** How long the last non-empty {@link #collect} waited after its first item (the first item's extra latency). */
    public long lastLingerNanos() {
        return lastLingerNanos;
    }

    /** Takes the items already waiting while fewer than {@code room} rows were taken; never waits. */
    public List<T> drain(Source<T> source, int room) throws InterruptedException {
        List<T> batch = new ArrayList<>();
        int taken = 0;
        while (taken < room) {
            T next = source.poll(0, TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
            taken += rows.applyAsInt(next);
        }
        return batch;
    }

    public int maxRows() {
        return maxRows;
    }
}
