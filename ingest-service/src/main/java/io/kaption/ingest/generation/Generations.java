package io.kaption.ingest.generation;

import io.kaption.events.RequestEventHub;
import io.kaption.events.RequestEventListener;
import io.kaption.events.StreamRestart;
import io.kaption.events.Subscription;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.images.ImageSource;
import io.kaption.ingest.images.ImageStore;
import io.kaption.ingest.publish.ConsumerGroups;
import io.kaption.ingest.publish.RequestPublisher;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The life of a request after its HTTP body was understood: checking its consumer group, admitting and placing its
 * image, publishing it, and following its tokens and result from the event hub back onto the HTTP response. A client
 * that goes away, or a request whose next event does not come within the result timeout, is cancelled on Kafka.
 */
public final class Generations {

    public static final String CLIENT_DISCONNECTED = "client_disconnected";
    public static final String RESULT_TIMEOUT = "result_timeout";
    public static final String STREAM_RESTARTED = "stream_restarted";

    /**
     * The error a Takeoff or OpenAI stream ends with when a replay of its request produced different text than it
     * already sent: those APIs have no way to take text back, and silently mixing two generations would be worse.
     */
    public static ApiException streamRestarted(String requestId) {
        return new ApiException(502, STREAM_RESTARTED, "the worker generating request " + requestId + " failed and "
                + "the retry produced different text than was already streamed; the complete answer is at the result "
                + "sink (GET /v1/requests/" + requestId + ")");
    }

    /**
     * Image admission fully decodes every image (up to the pixel cap: ~160 MB for 40 MP) and may fetch it: a pool of
     * its own bounds how many are in memory at once, where Vert.x's shared worker pool (20 threads) would not.
     */
    static final int IMAGE_ADMISSION_THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final Vertx vertx;
    private final WorkerExecutor imageAdmission;
    private final ImageStore images;
    private final ConsumerGroups groups;
    private final RequestPublisher publisher;
    private final RequestEventHub hub;
    private final Duration resultTimeout;

    public Generations(Vertx vertx, ImageStore images, ConsumerGroups groups, RequestPublisher publisher,
                       RequestEventHub hub, Duration resultTimeout) {
        this.vertx = vertx;
        this.imageAdmission = vertx.createSharedWorkerExecutor("kaption-image-admission", IMAGE_ADMISSION_THREADS);
        this.images = images;
        this.groups = groups;
        this.publisher = publisher;
        this.hub = hub;
        this.resultTimeout = resultTimeout;
    }

    /** Whether {@code group} has a request topic (blocking lookup, cached, on a worker thread). */
    public Future<Boolean> groupExists(String group) {
        return vertx.executeBlocking(() -> groups.exists(group), false);
    }

    /**
     * The request as it will be published: its images counted (400 {@code too_many_images} past
     * {@code KAPTION_MAX_IMAGES_PER_REQUEST}) and matched with its messages' image parts (400 {@code invalid_request}),
     * its consumer group checked (404 {@code unknown_consumer_group}), each image admitted and turned into a
     * {@code data:} or {@code s3://} URL. Runs on a worker thread, unless there is no image and the group's answer is
     * cached.
     */
    public Future<GenerationRequest> prepare(GenerationRequest draft, List<ImageSource> sources) {
        int maxImages = images.maxImagesPerRequest();
        if (sources.size() > maxImages) {
            return Future.failedFuture(ApiException.badRequest("too_many_images", "a request takes at most "
                    + maxImages + " images; got " + sources.size()));
        }
        // Image parts index the images: checked before any image is admitted or stored.
        Optional<String> problem = Drafts.withImages(draft,
                Collections.nCopies(sources.size(), "s3://kaption-images/not-yet-stored")).imageProblem(maxImages);
        if (problem.isPresent()) {
            return Future.failedFuture(ApiException.badRequest("invalid_request", problem.get()));
        }
        Optional<Boolean> groupExists = sources.isEmpty() ? groups.cachedAnswer(draft.consumerGroup())
                : Optional.empty();
        if (groupExists.isPresent()) {
            // Nothing to admit and nothing to look up: no hand-off to a worker thread and back.
            return groupExists.get() ? Future.succeededFuture(Drafts.withImages(draft, List.of()))
                    : Future.failedFuture(ConsumerGroups.unknown(draft.consumerGroup()));
        }
        return imageAdmission.executeBlocking(() -> {
            groups.requireExisting(draft.consumerGroup());
            List<String> imageUrls = new ArrayList<>(sources.size());
            for (ImageSource source : sources) {
                imageUrls.add(images.store(draft.requestId(), source));
            }
            return Drafts.withImages(draft, imageUrls);
        }, false);
    }

    /** Publishes {@code request} without following it (asynchronous API). */
    public Future<Void> submit(HttpExchange exchange, GenerationRequest request) {
        return publish(exchange.context(), request);
    }

    /**
     * Publishes {@code request} and waits for its result: a successful result, or the failure it stands for
     * ({@link ResultFailures}), 504 {@code result_timeout}, 503 {@code kafka_unavailable}.
     */
    public Future<GenerationResult> call(HttpExchange exchange, GenerationRequest request) {
        Promise<GenerationResult> outcome = Promise.promise();
        // Result only: the answer needs no token events, so it need not wait until the hub has read them.
        follow(exchange, request, Long.MAX_VALUE, new StreamListener() {
            @Override
            public void start() {
            }

            @Override
            public void token(TokenEvent event) {
            }

            @Override
            public boolean restarted(StreamRestart restart) {
                return true; // only the result counts
            }

            @Override
            public void result(GenerationResult result) {
                outcome.tryComplete(result);
            }

            @Override
            public void timeout() {
                outcome.tryFail(new ApiException(504, RESULT_TIMEOUT, "no result within "
                        + resultTimeout.toSeconds() + " s; the request was cancelled"));
            }
        }).onFailure(outcome::tryFail);
        return outcome.future().compose(result -> result.finishReason() == FinishReason.ERROR
                ? Future.failedFuture(ResultFailures.toApiException(result.error()))
                : Future.succeededFuture(result));
    }

    /**
     * Subscribes to {@code request}'s events, publishes it, and relays its events to {@code listener} on the exchange's
     * event loop. The returned future fails when publishing fails (nothing was sent to the client yet); once it
     * succeeds the listener owns the response.
     */
    public Future<Void> stream(HttpExchange exchange, GenerationRequest request, StreamListener listener) {
        return follow(exchange, request, -1, listener);
    }

    private Future<Void> follow(HttpExchange exchange, GenerationRequest request, long afterTokenOffset,
                                StreamListener listener) {
        Relay relay = new Relay(exchange, request.requestId(), listener);
        // Subscribed before publishing, so that no event of the request can be missed.
        relay.subscription = hub.subscribe(request.requestId(), afterTokenOffset, relay);
        exchange.onClientGone(relay::clientGone);
        return publish(exchange.context(), request)
                .onFailure(error -> relay.finish())
                .onSuccess(published -> relay.begin());
    }

    private Future<Void> publish(Context context, GenerationRequest request) {
        return vertx.<CompletableFuture<Void>>executeBlocking(() -> publisher.publish(request), false)
                .compose(acknowledged -> Future.fromCompletionStage(acknowledged, context));
    }

    /**
     * Hands one request's events from the hub's thread to the exchange's event loop, holding them until the request
     * is published and the listener has started, and ends the exchange's interest in them exactly once.
     */
    private final class Relay implements RequestEventListener {

        private final HttpExchange exchange;
        private final String requestId;
        private final StreamListener listener;
        private final List<Object> early = new ArrayList<>();
        /** Per prompt (batch id), the text given to the listener so far. */
        private final Map<Integer, StringBuilder> sent = new HashMap<>();
        private Subscription subscription;
        private boolean started;
        private boolean finished;
        private boolean published;
        private boolean clientLeft;
        private long timer = -1;

        Relay(HttpExchange exchange, String requestId, StreamListener listener) {
            this.exchange = exchange;
            this.requestId = requestId;
            this.listener = listener;
        }

        @Override
        public void onToken(long offset, TokenEvent event) {
            exchange.context().runOnContext(v -> deliver(event));
        }

        @Override
        public void onRestart(long offset, StreamRestart restart) {
            exchange.context().runOnContext(v -> deliver(restart));
        }

        @Override
        public void onResult(GenerationResult result) {
            exchange.context().runOnContext(v -> deliver(result));
        }

        void begin() {
            published = true;
            if (clientLeft || exchange.isDone()) { // the client left while the request was being published
                finish();
                publisher.cancel(requestId, CLIENT_DISCONNECTED);
                return;
            }
            if (finished) {
                return;
            }
            started = true;
            listener.start();
            armTimer();
            List<Object> held = List.copyOf(early);
            early.clear();
            held.forEach(this::deliver);
        }

        void clientGone() {
            if (finished) {
                return;
            }
            clientLeft = true;
            finish();
            if (published) {
                publisher.cancel(requestId, CLIENT_DISCONNECTED);
            }
        }

        void finish() {
            finished = true;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (subscription != null) {
                subscription.close();
            }
        }

        private void deliver(Object event) {
            if (finished) {
                return;
            }
            if (!started) {
                early.add(event);
                return;
            }
            if (event instanceof TokenEvent token) {
                armTimer();
                sent.computeIfAbsent(token.batchId(), batchId -> new StringBuilder()).append(token.text());
                listener.token(token);
            } else if (event instanceof StreamRestart restart) {
                armTimer();
                restart(restart);
            } else {
                finish();
                listener.result((GenerationResult) event);
            }
        }

        /**
         * A restart whose text continues what the client has (its stream missed chunks) becomes one more chunk; any
         * other goes to the listener, which may end the response.
         */
        private void restart(StreamRestart restart) {
            StringBuilder text = sent.computeIfAbsent(restart.batchId(), batchId -> new StringBuilder());
            if (restart.text().startsWith(text.toString())) {
                String missing = restart.text().substring(text.length());
                if (!missing.isEmpty()) {
                    text.append(missing);
                    listener.token(TokenEvent.chunk(requestId, restart.batchId(), 0, missing));
                }
            } else if (!listener.restarted(restart)) {
                finish();
            } else {
                text.setLength(0);
                text.append(restart.text());
            }
        }

        private void armTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            timer = vertx.setTimer(resultTimeout.toMillis(), id -> {
                if (!finished) {
                    finish();
                    publisher.cancel(requestId, RESULT_TIMEOUT);
                    listener.timeout();
                }
            });
        }
    }
}
