package io.kaption.sink;

import io.kaption.events.RequestEventHub;
import io.kaption.events.RequestEventListener;
import io.kaption.events.StreamRestart;
import io.kaption.events.Subscription;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code GET /v1/requests/{id}/events} response: the request's token events as SSE (replayed after the client's
 * {@code Last-Event-ID}, then live), then its result, then the end of the response. The hub calls in on its own
 * threads; everything touching the response runs on the connection's Vert.x context, in the order the hub called.
 *
 * <p>A client that reads slower than the events come does not make the sink buffer them: once the response's write
 * queue is full the stream unsubscribes, and when the queue has drained it subscribes again after the last event it
 * wrote (the hub keeps the request's history). A client that does not read at all within the event wait is
 * disconnected; it can resume with {@code Last-Event-ID}.
 */
final class EventStream {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    private final Vertx vertx;
    private final Context context;
    private final HttpServerResponse response;
    private final String requestId;
    private final Duration eventWait;
    private final AtomicInteger openStreams;
    private final RequestEventHub hub;

    // Touched on the context only.
    private Subscription subscription;
    /** Which subscription is current: callbacks of an earlier one, still queued on the context, are dropped. */
    private int generation;
    /** The offset of the last token event written (or the client's resume point). */
    private long lastOffset;
    private boolean paused;
    private long heartbeatTimer;
    private long waitTimer;
    private boolean ended;

    private EventStream(Vertx vertx, HttpServerResponse response, String requestId, Duration eventWait,
                        AtomicInteger openStreams, RequestEventHub hub) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.response = response;
        this.requestId = requestId;
        this.eventWait = eventWait;
        this.openStreams = openStreams;
        this.hub = hub;
    }

    /** Starts streaming on the calling (request's) context; the response is ended by the result or a timeout. */
    static void open(Vertx vertx, HttpServerResponse response, RequestEventHub hub, String requestId,
                     long afterTokenOffset, ResultSinkConfig config, AtomicInteger openStreams) {
        new EventStream(vertx, response, requestId, config.eventWait(), openStreams, hub)
                .start(afterTokenOffset, config.heartbeat());
    }

    private void start(long afterTokenOffset, Duration heartbeat) {
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no"); // nginx: pass events on at once
        response.closeHandler(closed -> finish("client disconnected"));
        response.drainHandler(drained -> resume());
        response.writeHead();
        int open = openStreams.incrementAndGet();
        heartbeatTimer = vertx.setPeriodic(heartbeat.toMillis(), id -> {
            if (!paused) {
                write(SseFormat.HEARTBEAT);
            }
        });
        waitTimer = vertx.setTimer(eventWait.toMillis(), id -> timeOut());
        lastOffset = afterTokenOffset;
        subscribe();
        log.info("request {}: event stream opened after offset {} ({} streams open)", requestId, afterTokenOffset,
                open);
    }

    private void subscribe() {
        int current = ++generation;
        subscription = hub.subscribe(requestId, lastOffset, new RequestEventListener() {
            @Override
            public void onToken(long offset, TokenEvent event) {
                context.runOnContext(ignored -> {
                    if (current == generation) {
                        token(offset, event);
                    }
                });
            }

            @Override
            public void onRestart(long offset, StreamRestart restart) {
                context.runOnContext(ignored -> {
                    if (current == generation) {
                        restart(offset, restart);
                    }
                });
            }

            @Override
            public void onResult(GenerationResult result) {
                context.runOnContext(ignored -> {
                    if (current == generation) {
                        result(result);
                    }
                });
            }
        });
    }

    private void token(long offset, TokenEvent event) {
        written(offset, SseFormat.token(offset, event));
    }

    private void restart(long offset, StreamRestart restart) {
        written(offset, SseFormat.restart(offset, restart));
    }

    /**
     * Writes the event of {@code offset} and moves the stream along. An event without offset (-1: a restart right
     * before the result) neither pauses nor arms the wait: the result follows it in the same hub delivery, and a
     * resubscription after a pause would send it again.
     */
    private void written(long offset, String event) {
        if (!write(event) || offset < 0) {
            return;
        }
        lastOffset = offset;
        vertx.cancelTimer(waitTimer);
        if (response.writeQueueFull()) {
            pause();
        } else {
            waitTimer = vertx.setTimer(eventWait.toMillis(), id -> timeOut());
        }
    }

    private void result(GenerationResult result) {
        if (write(SseFormat.result(result))) {
            finish("result " + result.finishReason().name().toLowerCase(Locale.ROOT));
            response.end();
        }
    }

    /** The client is behind: stop taking events until it has read what is queued (see the class comment). */
    private void pause() {
        paused = true;
        generation++;
        subscription.close();
        waitTimer = vertx.setTimer(eventWait.toMillis(), id -> {
            if (!ended) {
                finish("client not reading");
                response.reset();
            }
        });
    }

    private void resume() {
        if (ended || !paused) {
            return;
        }
        paused = false;
        vertx.cancelTimer(waitTimer);
        waitTimer = vertx.setTimer(eventWait.toMillis(), id -> timeOut());
        subscribe();
    }

    private void timeOut() {
        String message = "no events for request " + requestId + " within " + eventWait.toSeconds() + " s";
        if (write(SseFormat.error("timeout", message))) {
            finish("timed out");
            response.end();
        }
    }

    /** Writes unless the stream is over; says whether it wrote. */
    private boolean write(String text) {
        if (ended || response.closed()) {
            return false;
        }
        response.write(text);
        return true;
    }

    private void finish(String why) {
        if (ended) {
            return;
        }
        ended = true;
        vertx.cancelTimer(heartbeatTimer);
        vertx.cancelTimer(waitTimer);
        subscription.close();
        int open = openStreams.decrementAndGet();
        log.info("request {}: event stream ended: {} ({} streams open, {} hub subscriptions)", requestId, why, open,
                hub.subscriptionCount());
    }
}
