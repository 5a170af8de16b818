package io.kaption.events;

import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows {@code kaption.tokens} and {@code kaption.results} for a whole process, so that the ingest service and the
 * result sink can stream a request's tokens and wait for its result. One Kafka consumer, {@code assign()}ed to every
 * partition of both topics (no consumer group: every replica sees everything), starting one history window back, so
 * a restarted process still serves resumes and late result lookups. See {@link RequestHistory} for what is kept in
 * memory and for how long.
 *
 * <pre>{@code
 * RequestEventHub hub = RequestEventHub.start(RequestEventHub.Config.fromEnvironment());
 * Subscription s = hub.subscribe(requestId, -1, listener); // replay, then live; result last, exactly once
 * s.close();
 * hub.result(requestId).thenAccept(...);
 * }</pre>
 */
public final class RequestEventHub implements AutoCloseable {

    private final RequestHistory history;
    private final TopicFollower follower;
    private final Set<CompletableFuture<GenerationResult>> pendingResults = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private RequestEventHub(Config config) {
        this.history = new RequestHistory(config.historyWindow(), config.maxRequests(), config.resultGrace());
        this.follower = new TopicFollower(config, history);
    }

    /** Starts following the topics (in the background: they need not exist yet). */
    public static RequestEventHub start(Config config) {
        RequestEventHub hub = new RequestEventHub(config);
        hub.follower.start();
        return hub;
    }

    /**
     * Subscribes to one request's events: first those of the history with a {@code kaption.tokens} offset greater
     * than {@code afterTokenOffset} (-1: all), then live ones, in offset order without gaps or repeats, then the
     * result exactly once. A request whose result is already known gets its replay and result at once; an unknown
     * one is waited for (it may still be queued) until the subscription is closed. With {@code afterTokenOffset}
     * {@link Long#MAX_VALUE} the subscriber wants the result alone and gets it as soon as it is read, without waiting
     * for the request's token events to be read first.
     */
    public Subscription subscribe(String requestId, long afterTokenOffset, RequestEventListener listener) {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(listener, "listener");
        requireOpen();
        return history.subscribe(requestId, afterTokenOffset, listener);
    }

    /**
     * The request's result, as soon as it is read (a result-only subscription). Cancelling the future (or completing
     * it some other way, e.g. with {@code orTimeout}) unsubscribes; closing the hub fails it. It may complete on the
     * hub's poll thread: chain slow work with the {@code …Async} methods.
     */
    public CompletableFuture<GenerationResult> result(String requestId) {
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        pendingResults.add(result);
        Subscription subscription;
        try {
            subscription = subscribe(requestId, Long.MAX_VALUE, new RequestEventListener() {
                @Override
                public void onToken(long offset, TokenEvent event) {
                    // Never called: no offset is greater than Long.MAX_VALUE.
                }

                @Override
                public void onRestart(long offset, StreamRestart restart) {
                    // Only the result matters here.
                }

                @Override
                public void onResult(GenerationResult generationResult) {
                    result.complete(generationResult);
                }
            });
        } catch (RuntimeException e) {
            pendingResults.remove(result);
            throw e;
        }
        result.whenComplete((value, error) -> {
            subscription.close();
            pendingResults.remove(result);
        });
        if (closed) { // closed while subscribing: close() may have missed this future
            result.completeExceptionally(new IllegalStateException("the request event hub is closed"));
        }
        return result;
    }

    /** Whether partitions of both topics are assigned and being read. */
    public boolean isReady() {
        return follower.isReady();
    }

    /** Subscriptions waiting for their request's result (open SSE streams, waiting lookups, …). */
    public int subscriptionCount() {
        return history.subscriptionCount();
    }

    /** Requests whose events are held in memory. */
    public int trackedRequestCount() {
        return history.size();
    }

    /** Stops reading; pending {@link #result} futures fail, subscriptions get no further events. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        follower.close();
        IllegalStateException closedError = new IllegalStateException("the request event hub is closed");
        pendingResults.forEach(pending -> pending.completeExceptionally(closedError));
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the request event hub is closed");
        }
    }

    /**
     * @param kafka            Kafka bootstrap servers and client properties (security)
     * @param historyWindow    how far back events are read at start and how long finished requests are kept
     * @param maxRequests      most requests held in memory (see {@link RequestHistory} for which go first)
     * @param resultGrace      how long a result waits for final token events that have not arrived
     * @param tokensTopic      {@link Topics#TOKENS} unless the deployment renames topics
     * @param resultsTopic     {@link Topics#RESULTS} unless the deployment renames topics
     */
    public record Config(KafkaConnection kafka, Duration historyWindow, int maxRequests, Duration resultGrace,
                         String tokensTopic, String resultsTopic) {

        public static final Duration DEFAULT_HISTORY_WINDOW = Duration.ofMinutes(10);
        public static final int DEFAULT_MAX_REQUESTS = 10_000;
        public static final Duration DEFAULT_RESULT_GRACE = Duration.ofSeconds(2);

        public Config {
            Objects.requireNonNull(kafka, "kafka");
            Objects.requireNonNull(tokensTopic, "tokensTopic");
            Objects.requireNonNull(resultsTopic, "resultsTopic");
            if (historyWindow.isNegative() || historyWindow.isZero()) {
                throw new IllegalArgumentException("historyWindow must be positive, got " + historyWindow);
            }
            if (maxRequests < 1) {
                throw new IllegalArgumentException("maxRequests must be at least 1, got " + maxRequests);
            }
            if (resultGrace.isNegative()) {
                throw new IllegalArgumentException("resultGrace must not be negative, got " + resultGrace);
            }
            if (tokensTopic.equals(resultsTopic)) {
                throw new IllegalArgumentException("tokens and results need two topics, got " + tokensTopic + " twice");
            }
        }

        /** Reading the contract's topics, {@code kaption.tokens} and {@code kaption.results}. */
        public Config(String bootstrapServers, Duration historyWindow, int maxRequests, Duration resultGrace) {
            this(KafkaConnection.of(bootstrapServers), historyWindow, maxRequests, resultGrace, Topics.TOKENS,
                    Topics.RESULTS);
        }

        /** The defaults, reading from {@code bootstrapServers}. */
        public static Config defaults(String bootstrapServers) {
            return new Config(bootstrapServers, DEFAULT_HISTORY_WINDOW, DEFAULT_MAX_REQUESTS, DEFAULT_RESULT_GRACE);
        }

        public static Config fromEnvironment() {
            return fromEnvironment(System.getenv());
        }

        /**
         * The Kafka variables ({@link KafkaConnection#fromEnvironment}), {@code KAPTION_EVENT_HISTORY_SECONDS},
         * {@code KAPTION_EVENT_HISTORY_MAX_REQUESTS}, {@code KAPTION_EVENT_RESULT_GRACE_MILLIS}.
         */
        public static Config fromEnvironment(Map<String, String> variables) {
            Env env = Env.of(variables);
            return new Config(
                    KafkaConnection.fromEnvironment(env),
                    Duration.ofSeconds(env.integerIn("KAPTION_EVENT_HISTORY_SECONDS",
                            DEFAULT_HISTORY_WINDOW.toSeconds(), 1, Integer.MAX_VALUE)),
                    Math.toIntExact(env.integerIn("KAPTION_EVENT_HISTORY_MAX_REQUESTS", DEFAULT_MAX_REQUESTS, 1,
                            Integer.MAX_VALUE)),
                    Duration.ofMillis(env.integerIn("KAPTION_EVENT_RESULT_GRACE_MILLIS",
                            DEFAULT_RESULT_GRACE.toMillis(), 1, Integer.MAX_VALUE)),
                    Topics.TOKENS, Topics.RESULTS);
        }

        /** The Kafka bootstrap servers. */
        public String bootstrapServers() {
            return kafka.bootstrapServers();
        }

        public Config withHistoryWindow(Duration window) {
            return new Config(kafka, window, maxRequests, resultGrace, tokensTopic, resultsTopic);
        }

        public Config withMaxRequests(int max) {
            return new Config(kafka, historyWindow, max, resultGrace, tokensTopic, resultsTopic);
        }

        public Config withResultGrace(Duration grace) {
            return new Config(kafka, historyWindow, maxRequests, grace, tokensTopic, resultsTopic);
        }

        public Config withTopics(String tokens, String results) {
            return new Config(kafka, historyWindow, maxRequests, resultGrace, tokens, results);
        }
    }
}
