package io.kaption.worker.batching;

import io.kaption.worker.consume.Lane;
import io.kaption.worker.consume.ReadyRequest;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded hand-off between the consumers (and the image pool) and the decode loop, one queue per {@link Lane}.
 * The decode loop always takes a ready interactive request before a ready bulk one, so bulk requests only get the
 * room interactive ones leave. Each lane counts its requests from the moment a consumer admits them (their image
 * may still be loading) until the decode loop takes them; consumers stop fetching a lane's partitions while it
 * {@link #isFull(Lane) is full}, so a slow engine or a huge bucket job builds a backlog in Kafka, not in memory.
 * Thread-safe.
 */
public final class Handoff implements BatchCollector.Source<ReadyRequest> {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readyAvailable = lock.newCondition();
    private final Map<Lane, ArrayDeque<ReadyRequest>> ready = new EnumMap<>(Lane.class);
    private final Map<Lane, Integer> admitted = new EnumMap<>(Lane.class);
    private final Map<Lane, Integer> capacity = new EnumMap<>(Lane.class);

    /**
     * @param interactiveCapacity interactive requests admitted and not yet taken, above which consumers pause them
     * @param bulkCapacity        the same for bulk requests: how far a bucket job is prefetched
     */
    public Handoff(int interactiveCapacity, int bulkCapacity) {
        capacity.put(Lane.INTERACTIVE, requirePositive(interactiveCapacity));
        capacity.put(Lane.BULK, requirePositive(bulkCapacity));
        for (Lane lane : Lane.values()) {
            ready.put(lane, new ArrayDeque<>());
            admitted.put(lane, 0);
        }
    }

    private static int requirePositive(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        return capacity;
    }

    /** True while consumers should not fetch more requests of {@code lane}. */
    public boolean isFull(Lane lane) {
        lock.lock();
        try {
            return admitted.get(lane) >= capacity.get(lane);
        } finally {
            lock.unlock();
        }
    }

    /** Counts a request a consumer took on; it arrives later through {@link #ready} (or is {@link #dropped}). */
    public void admit(Lane lane) {
        add(lane, 1);
    }

    /** An admitted request is ready for the engine. */
    public void ready(ReadyRequest request) {
        lock.lock();
        try {
            ready.get(request.accepted().lane()).addLast(request);
            readyAvailable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** An admitted request that will never become ready (the worker is stopping). */
    public void dropped(Lane lane) {
        add(lane, -1);
    }

    /** The next ready request, interactive before bulk, waiting up to {@code timeout}; null when none came. */
    @Override
    public ReadyRequest poll(long timeout, TimeUnit unit) throws InterruptedException {
        long remaining = unit.toNanos(timeout);
        lock.lock();
        try {
            while (true) {
                for (Lane lane : Lane.values()) { // declaration order: INTERACTIVE first
                    ReadyRequest request = ready.get(lane).pollFirst();
                    if (request != null) {
                        admitted.merge(lane, -1, Integer::sum);
                        return request;
                    }
                }
                if (remaining <= 0) {
                    return null;
                }
                remaining = readyAvailable.awaitNanos(remaining);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Requests of both lanes admitted and not yet taken: ready, or still being prepared. */
    @Override
    public int pending() {
        lock.lock();
        try {
            return admitted.values().stream().mapToInt(Integer::intValue).sum();
        } finally {
            lock.unlock();
        }
    }

    /** Requests of {@code lane} admitted and not yet taken. */
    public int admitted(Lane lane) {
        lock.lock();
        try {
            return admitted.get(lane);
        } finally {
            lock.unlock();
        }
    }

    private void add(Lane lane, int delta) {
        lock.lock();
        try {
            admitted.merge(lane, delta, Integer::sum);
        } finally {
            lock.unlock();
        }
    }
}
