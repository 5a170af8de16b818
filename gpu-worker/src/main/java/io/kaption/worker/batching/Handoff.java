package io.kaption.worker.batching;

import io.kaption.worker.consume.ReadyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded hand-off between the consumers (and the image pool) and the decode loop. It counts requests from the
 * moment a consumer admits them (their image may still be loading) until the decode loop takes them; consumers stop
 * fetching while it {@link #isFull()}, so a slow engine builds a backlog in Kafka, not in memory. Thread-safe.
 */
public final class Handoff implements BatchCollector.Source<ReadyRequest> {

    private final LinkedBlockingQueue<ReadyRequest> ready = new LinkedBlockingQueue<>();
    private final AtomicInteger admitted = new AtomicInteger();
    private final int capacity;

    /** @param capacity requests admitted and not yet taken, above which consumers pause */
    public Handoff(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** True while consumers should not fetch more requests. */
    public boolean isFull() {
        return admitted.get() >= capacity;
    }

    /** Counts a request a consumer took on; it arrives later through {@link #ready} (or is {@link #dropped}). */
    public void admit() {
        admitted.incrementAndGet();
    }

    /** An admitted request is ready for the engine. */
    public void ready(ReadyRequest request) {
        ready.add(request);
    }

    /** An admitted request that will never become ready (the worker is stopping). */
    public void dropped() {
        admitted.decrementAndGet();
    }

    @Override
    public ReadyRequest poll(long timeout, TimeUnit unit) throws InterruptedException {
        ReadyRequest request = ready.poll(timeout, unit);
        if (request != null) {
            admitted.decrementAndGet();
        }
        return request;
    }

    /** Everything ready and not taken, removed (at shutdown). */
    public List<ReadyRequest> drainReady() {
        List<ReadyRequest> drained = new ArrayList<>();
        ready.drainTo(drained);
        drained.forEach(r -> admitted.decrementAndGet());
        return drained;
    }

    /** Requests admitted and not yet taken. */
    public int admitted() {
        return admitted.get();
    }
}
