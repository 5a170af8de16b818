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
 * together are prefilled together. While the engine runs, {@link #drain} takes what is already there without
 * waiting (continuous batching: they join the running rows).
 */
public final class BatchCollector<T> {

    /** Where items come from; {@link java.util.concurrent.BlockingQueue#poll(long, TimeUnit)} semantics. */
    public interface Source<T> {
        /** The next item, waiting up to {@code timeout}; null when none came. */
        T poll(long timeout, TimeUnit unit) throws InterruptedException;
    }

    private final int maxRows;
    private final long lingerNanos;
    private final ToIntFunction<T> rows;
    private final LongSupplier nanoTime;

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
     * Waits up to {@code firstWait} for a first item, then collects until {@code maxRows} rows or the linger after
     * the first item elapsed. Empty when nothing came within {@code firstWait}.
     */
    public List<T> collect(Source<T> source, Duration firstWait) throws InterruptedException {
        List<T> batch = new ArrayList<>();
        T first = source.poll(firstWait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
            return batch;
        }
        batch.add(first);
        int taken = rows.applyAsInt(first);
        long deadline = nanoTime.getAsLong() + lingerNanos;
        while (taken < maxRows) {
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
        return batch;
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
