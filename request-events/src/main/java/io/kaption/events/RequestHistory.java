package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's memory of recent requests and who is subscribed to them, without Kafka: token events (with offsets) and
 * results go in, subscriptions get replay plus live events in offset order and the result exactly once, last. The
 * token events of a request's attempts (a redelivered request is generated again) are merged by {@link AttemptMerge}
 * into one stream that shows each chunk once; at settlement the stream is reconciled with the result, and token
 * events read after it are not delivered.
 *
 * <p>A result is <em>settled</em> (handed to subscribers) as soon as every prompt of the request has its final token
 * event, which is known when the result has text (one prompt per element), or at once when the result says that the
 * request did not stream ({@code stream} false: it has no token events). Otherwise — an error result does not say how
 * many prompts there were, and results of older workers do not say whether they streamed — the caller settles it with
 * {@link #settle} once it has read {@code kaption.tokens} up to where it stood when the result arrived (the workers
 * write every token of a request before its result), or {@link #settleOverdue} does after the grace period.
 * Subscribers that want only the result (subscribed after offset {@link Long#MAX_VALUE}) need no such order: they
 * get it as soon as it is read.
 *
 * <p>Memory is bounded two ways: a settled request is forgotten once its result is older than the history window
 * (by record timestamp), and so is a request whose token events stopped that long ago without a result; and at
 * most {@code maxRequests} requests are kept: when one more arrives, the request settled longest ago goes — one of a
 * batch job ({@code job_id}) first, so that a bucket job's stream of results, which nobody follows here, does not push
 * interactive requests out of the window — or if none is settled, the unsettled one without subscribers that was
 * quiet longest. Requests with subscribers are never dropped for room (they are bounded by the subscribers), nor
 * kept beyond their last unsubscribe if empty.
 *
 * <p>Thread-safe: all state is guarded by one lock, and listeners are called after it is released.
 */
final class RequestHistory {

    private static final Logger log = LoggerFactory.getLogger(RequestHistory.class);

    private final long windowMs;
    private final int maxRequests;
    private final long graceMs;

    private final Object lock = new Object();
    private final Map<String, TrackedRequest> requests = new HashMap<>();
    /** Settled requests' ids, settled longest ago first: those of batch jobs, and the others. */
    private final LinkedHashSet<String> settledJobRequests = new LinkedHashSet<>();
    private final LinkedHashSet<String> settled = new LinkedHashSet<>();
    /** Results waiting for their token events: request id → grace deadline (epoch ms), earliest first. */
    private final LinkedHashMap<String, Long> awaitingTokens = new LinkedHashMap<>();
    private int subscriptions;

    RequestHistory(Duration window, int maxRequests, Duration resultGrace) {
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests must be at least 1, got " + maxRequests);
        }
        this.windowMs = window.toMillis();
        this.maxRequests = maxRequests;
        this.graceMs = resultGrace.toMillis();
    }

    /**
     * Records a token event read at {@code offset} of {@code kaption.tokens}; an offset already seen is ignored. What
     * subscribers get of it is decided by the request's {@link AttemptMerge}: the event, nothing (a replayed chunk
     * already delivered), or a restart. Events read after the result was settled change nothing.
     */
    void addToken(long offset, TokenEvent event, long timestampMs) {
        List<OrderedSubscription> touched;
        synchronized (lock) {
            TrackedRequest request = track(event.requestId());
            if (offset <= request.lastTokenOffset) {
                return;
            }
            request.lastTokenOffset = offset;
            request.lastEventMs = Math.max(request.lastEventMs, timestampMs);
            if (request.settled) {
                return;
            }
            Object merged = request.merge.accept(event);
            StreamItem item;
            if (merged instanceof TokenEvent token) {
                item = new OffsetToken(offset, token);
            } else if (merged instanceof StreamRestart restart) {
                item = new OffsetRestart(offset, restart);
            } else {
                return;
            }
            request.items.add(item);
            touched = new ArrayList<>(request.subscribers);
            touched.forEach(subscription -> subscription.offer(item));
            if (request.result != null && request.tokensComplete()) {
                settle(request);
            }
        }
        touched.forEach(OrderedSubscription::drain);
    }

    /**
     * Records a request's result. Returns true when it waits for token events that may still be unread (then the
     * caller settles it once it has caught up with {@code kaption.tokens}); false when it was settled at once or is
     * a repeat of a result already recorded (the first one counts).
     */
    boolean addResult(GenerationResult result, long timestampMs, long nowMs) {
        List<OrderedSubscription> touched;
        boolean waitsForTokens;
        synchronized (lock) {
            TrackedRequest request = track(result.requestId());
            if (request.result != null) {
                log.debug("request {}: ignoring a repeated result", result.requestId());
                return false;
            }
            request.result = result;
            request.resultTimestampMs = timestampMs;
            request.lastEventMs = Math.max(request.lastEventMs, timestampMs);
            waitsForTokens = request.mayAwaitTokens();
            if (waitsForTokens) {
                awaitingTokens.put(request.requestId, nowMs + graceMs);
                touched = handOverToResultOnly(request);
            } else {
                touched = settle(request);
            }
        }
        touched.forEach(OrderedSubscription::drain);
        return waitsForTokens;
    }

    /** Settles the results of these requests that still wait for token events. */
    void settle(Collection<String> requestIds) {
        List<OrderedSubscription> touched = new ArrayList<>();
        synchronized (lock) {
            for (String requestId : requestIds) {
                TrackedRequest request = requests.get(requestId);
                if (request != null && request.result != null && !request.settled) {
                    touched.addAll(settle(request));
                }
            }
        }
        touched.forEach(OrderedSubscription::drain);
    }

    /**
     * These results wait for the caller's catch-up barrier (it knows where kaption.tokens ended when they arrived),
     * not for the grace period: while a restarted hub reads a long backlog, the grace period would run out before
     * the request's token events are read and deliver the result ahead of them.
     */
    void leaveToCatchUp(Collection<String> requestIds) {
        synchronized (lock) {
            requestIds.forEach(awaitingTokens::remove);
        }
    }

    /** Settles the results whose token events did not complete within the grace period. */
    void settleOverdue(long nowMs) {
        List<OrderedSubscription> touched = new ArrayList<>();
        synchronized (lock) {
            Iterator<Map.Entry<String, Long>> oldest = awaitingTokens.entrySet().iterator();
            while (oldest.hasNext()) {
                Map.Entry<String, Long> next = oldest.next();
                if (next.getValue() > nowMs) {
                    break;
                }
                oldest.remove();
                TrackedRequest request = requests.get(next.getKey());
                if (request != null) {
                    log.info("request {}: delivering the result without all final token events after {} ms",
                            request.requestId, graceMs);
                    touched.addAll(settle(request));
                }
            }
        }
        touched.forEach(OrderedSubscription::drain);
    }

    /** Forgets requests that finished, or went quiet without a result, longer than the window before {@code nowMs}. */
    void evictExpired(long nowMs) {
        long cutoff = nowMs - windowMs;
        synchronized (lock) {
            Iterator<TrackedRequest> all = requests.values().iterator();
            while (all.hasNext()) {
                TrackedRequest request = all.next();
                boolean expired = request.settled
                        ? request.resultTimestampMs < cutoff
                        : request.result == null && request.subscribers.isEmpty() && request.lastEventMs < cutoff;
                if (expired) {
                    all.remove();
                    settledJobRequests.remove(request.requestId);
                    settled.remove(request.requestId);
                }
            }
        }
    }

    /** Replays the request's token events after {@code afterTokenOffset}, then follows it live; see the hub. */
    Subscription subscribe(String requestId, long afterTokenOffset, RequestEventListener listener) {
        OrderedSubscription subscription = new OrderedSubscription(this, requestId, afterTokenOffset, listener);
        synchronized (lock) {
            TrackedRequest request = track(requestId);
            request.items.forEach(subscription::offer);
            if (request.settled) {
                request.closingRestarts.forEach(subscription::offerClosingRestart);
                subscription.offerResult(request.result);
            } else if (request.result != null && subscription.resultOnly()) {
                subscription.offerResult(request.result);
            } else {
                request.subscribers.add(subscription);
                subscriptions++;
            }
        }
        subscription.drain();
        return subscription;
    }

    void unsubscribe(OrderedSubscription subscription) {
        synchronized (lock) {
            TrackedRequest request = requests.get(subscription.requestId());
            if (request != null && request.subscribers.remove(subscription)) {
                subscriptions--;
                if (request.lastTokenOffset < 0 && request.result == null && request.subscribers.isEmpty()) {
                    requests.remove(request.requestId);
                }
            }
        }
    }

    /** Subscriptions still waiting for their result. */
    int subscriptionCount() {
        synchronized (lock) {
            return subscriptions;
        }
    }

    /** Requests held in memory. */
    int size() {
        synchronized (lock) {
            return requests.size();
        }
    }

    /**
     * A result still waiting for token events goes at once to the subscribers that want only the result, who then
     * leave; returns them for draining. Lock held.
     */
    private List<OrderedSubscription> handOverToResultOnly(TrackedRequest request) {
        List<OrderedSubscription> resultOnly = new ArrayList<>();
        request.subscribers.removeIf(subscription -> {
            if (!subscription.resultOnly()) {
                return false;
            }
            subscription.offerResult(request.result);
            resultOnly.add(subscription);
            return true;
        });
        subscriptions -= resultOnly.size();
        return resultOnly;
    }

    /**
     * The result goes to every subscriber (after the restarts that make their stream add up to it), who then leave;
     * returns them for draining. Lock held.
     */
    private List<OrderedSubscription> settle(TrackedRequest request) {
        request.settled = true;
        request.closingRestarts = request.merge.reconcile(request.result);
        awaitingTokens.remove(request.requestId);
        (request.result.jobId() != null ? settledJobRequests : settled).add(request.requestId);
        List<OrderedSubscription> subscribers = new ArrayList<>(request.subscribers);
        subscribers.forEach(subscription -> {
            request.closingRestarts.forEach(subscription::offerClosingRestart);
            subscription.offerResult(request.result);
        });
        subscriptions -= subscribers.size();
        request.subscribers.clear();
        return subscribers;
    }

    /** The request's entry, created (making room if needed) when new. Lock held. */
    private TrackedRequest track(String requestId) {
        TrackedRequest request = requests.get(requestId);
        if (request == null) {
            if (requests.size() >= maxRequests) {
                makeRoom();
            }
            request = new TrackedRequest(requestId);
            requests.put(requestId, request);
        }
        return request;
    }

    private void makeRoom() {
        for (LinkedHashSet<String> settledFirst : List.of(settledJobRequests, settled)) {
            Iterator<String> settledLongestAgo = settledFirst.iterator();
            if (settledLongestAgo.hasNext()) {
                requests.remove(settledLongestAgo.next());
                settledLongestAgo.remove();
                return;
            }
        }
        TrackedRequest quietest = null;
        for (TrackedRequest request : requests.values()) {
            if (request.subscribers.isEmpty() && (quietest == null || request.lastEventMs < quietest.lastEventMs)) {
                quietest = request;
            }
        }
        if (quietest != null) {
            log.warn("request {}: dropped unfinished from the event history, which is full ({} requests)",
                    quietest.requestId, maxRequests);
            requests.remove(quietest.requestId);
            awaitingTokens.remove(quietest.requestId);
        }
    }

    private static final class TrackedRequest {
        final String requestId;
        /** What subscribers are given, in offset order: the merged token events and restarts. */
        final List<StreamItem> items = new ArrayList<>();
        final AttemptMerge merge;
        long lastTokenOffset = -1;
        /** Restarts given before the result, once settled. */
        List<StreamRestart> closingRestarts = List.of();
        final List<OrderedSubscription> subscribers = new ArrayList<>(1);
        GenerationResult result;
        long resultTimestampMs;
        long lastEventMs = Long.MIN_VALUE;
        boolean settled;

        TrackedRequest(String requestId) {
            this.requestId = requestId;
            this.merge = new AttemptMerge(requestId);
        }

        /** Whether token events may still be unread when the result is: not if it did not stream, or has them all. */
        boolean mayAwaitTokens() {
            return !Boolean.FALSE.equals(result.stream()) && !tokensComplete();
        }

        /** Whether every prompt has its final event; known only when the result's text says how many prompts. */
        boolean tokensComplete() {
            if (result.text() == null) {
                return false;
            }
            for (int batchId = 0; batchId < result.text().size(); batchId++) {
                if (!merge.isFinal(batchId)) {
                    return false;
                }
            }
            return true;
        }
    }
}
