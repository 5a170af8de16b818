package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription's mailbox. {@link RequestHistory} appends events under its lock, which fixes their order (replay
 * first, then live events, each offset once); {@link #drain()} then hands them to the listener outside the lock, on
 * whichever thread gets there first, one call at a time. So the subscribing thread replaying history and the poll
 * thread appending live events can race without reordering, duplicating or losing anything.
 */
final class OrderedSubscription implements Subscription {

    private static final Logger log = LoggerFactory.getLogger(OrderedSubscription.class);

    private final RequestHistory history;
    private final String requestId;
    private final RequestEventListener listener;
    /** Subscribed after every possible token offset: wants the result alone, as soon as it is read. */
    private final boolean resultOnly;
    private final Queue<Object> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger drainRequests = new AtomicInteger();
    private volatile boolean closed;

    /** Offset of the last token put in the mailbox (or the subscriber's starting point); guarded by the history. */
    private long lastOffset;

    OrderedSubscription(RequestHistory history, String requestId, long afterTokenOffset,
                        RequestEventListener listener) {
        this.history = history;
        this.requestId = requestId;
        this.lastOffset = afterTokenOffset;
        this.resultOnly = afterTokenOffset == Long.MAX_VALUE;
        this.listener = listener;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    boolean resultOnly() {
        return resultOnly;
    }

    /** Queues {@code item} unless the subscriber already has it or asked to start after it; history lock held. */
    void offer(StreamItem item) {
        if (item.offset() > lastOffset) {
            lastOffset = item.offset();
            mailbox.add(item);
        }
    }

    /** Queues a restart that reconciles the stream with the result (it has no offset); history lock held. */
    void offerClosingRestart(StreamRestart restart) {
        mailbox.add(new OffsetRestart(-1, restart));
    }

    /** Queues the result; history lock held. */
    void offerResult(GenerationResult result) {
        mailbox.add(result);
    }

    /** Delivers what is queued; returns at once if another thread is delivering (that thread takes these too). */
    void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            Object next;
            while ((next = mailbox.poll()) != null) {
                if (!closed) {
                    deliver(next);
                }
            }
            missed = drainRequests.addAndGet(-missed);
        } while (missed != 0);
    }

    private void deliver(Object event) {
        try {
            if (event instanceof OffsetToken token) {
                listener.onToken(token.offset(), token.event());
            } else if (event instanceof OffsetRestart restart) {
                listener.onRestart(restart.offset(), restart.restart());
            } else {
                listener.onResult((GenerationResult) event);
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // A listener's bug (also an AssertionError, a linkage error or a sneaky checked exception) must not
            // stop the poll thread or the other subscribers.
            log.warn("request {}: event listener failed: {}", requestId, e.toString(), e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            history.unsubscribe(this);
        }
    }
}
