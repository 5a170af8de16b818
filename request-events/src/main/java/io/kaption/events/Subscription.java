package io.kaption.events;

/** A live subscription to one request's events; closing it stops further calls to its listener. */
public interface Subscription extends AutoCloseable {

    String requestId();

    /** Unsubscribes; idempotent. A call already in progress may still finish. */
    @Override
    void close();
}
