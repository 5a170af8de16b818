package io.kaption.sink;

import io.kaption.apikeys.ApiAccess;
import io.kaption.apikeys.ApiKeys;
import io.kaption.events.RequestEventHub;
import io.kaption.kit.metrics.HttpMetrics;
import io.kaption.kit.metrics.ServiceMetrics;
import io.kaption.sink.jobs.progress.JobProgress;
import io.kaption.sink.jobs.shards.JobShardWriter;
import io.kaption.sink.output.OutputWriter;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The result sink: HTTP access to requests' token streams and results, read from Kafka by a
 * {@link RequestEventHub}.
 *
 * <ul>
 *   <li>{@code GET /v1/requests/{id}/events} — SSE: token events ({@code id:} = their {@code kaption.tokens} offset),
 *       then the result; resumes after {@code Last-Event-ID} (or {@code ?last_event_id=}).</li>
 *   <li>{@code GET /v1/requests/{id}?wait=<seconds>} — the result, or {@code 202} while pending.</li>
 *   <li>{@code GET /healthz}, {@code GET /readyz}.</li>
 * </ul>
 *
 * <p>With API keys ({@code KAPTION_API_KEYS}) the two request routes need one of the keys the ingest service takes;
 * the health routes stay open.
 *
 * <p>Unless disabled, an {@link OutputWriter} also writes every result with an {@code output_uri} to S3, and the
 * bucket-job side runs: the {@link JobProgress} topology (counts and lifecycle of each job, its deduplicated lines)
 * and the {@link JobShardWriter} (the job's shards and manifest in S3).
 */
public final class ResultSink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ResultSink.class);

    static final int DEFAULT_WAIT_SECONDS = 30;
    static final int MAX_WAIT_SECONDS = 300;

    private final ResultSinkConfig config;
    private final Vertx vertx;
    private final RequestEventHub hub;
    private final ServiceMetrics metrics = ServiceMetrics.create();
    private final HttpMetrics httpMetrics = new HttpMetrics(metrics.registry());
    private final AtomicInteger openStreams = httpMetrics.openStreams();
    private HttpServer server;
    private S3Client s3;
    private OutputWriter outputWriter;
    private JobProgress jobProgress;
    private JobShardWriter jobShardWriter;

    private ResultSink(ResultSinkConfig config, Vertx vertx, RequestEventHub hub) {
        this.config = config;
        this.vertx = vertx;
        this.hub = hub;
    }

    /**
     * Starts the event hub, the output writer and the bucket-job side (if enabled) and the HTTP server; returns once
     * the server listens.
     */
    public static ResultSink start(ResultSinkConfig config) {
        config.events().kafka().checkAccess("kaption-sink-access-check");
        RequestEventHub hub = RequestEventHub.start(config.events());
        Vertx vertx = Vertx.vertx();
        ResultSink sink = new ResultSink(config, vertx, hub);
        try {
            if (config.outputs().enabled() || config.jobs().enabled()) {
                sink.s3 = config.outputs().s3Client();
            }
            if (config.outputs().enabled()) {
                sink.outputWriter = OutputWriter.start(config.events().kafka(),
                        config.events().resultsTopic(), OutputWriter.GROUP_ID, config.membership(),
                        config.outputs().topics(), sink.s3, sink.metrics::deadLettered);
            }
            if (config.jobs().enabled()) {
                sink.jobProgress = JobProgress.start(config.jobs().progress(), config.membership());
                sink.metrics.bind(sink.jobProgress.metrics());
                sink.jobShardWriter = JobShardWriter.start(config.jobs().shards(), config.membership(), sink.s3,
                        sink.metrics::deadLettered);
            }
            sink.server = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
                    .requestHandler(sink::handle)
                    .listen()
                    .await();
        } catch (Exception e) {
            sink.close();
            throw e;
        }
        log.info("result sink listening on {}:{}", config.host(), sink.port());
        return sink;
    }

    /** The port the HTTP server listens on. */
    public int port() {
        return server.actualPort();
    }

    /** SSE streams currently open. */
    public int openStreams() {
        return openStreams.get();
    }

    /** Hub subscriptions waiting for a result: open streams and pending result look-ups. */
    public int subscriptionCount() {
        return hub.subscriptionCount();
    }

    private void handle(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        String path = request.path();
        RequestPath requestPath;
        try {
            requestPath = RequestPath.parse(path);
        } catch (IllegalArgumentException e) {
            count(request, HttpMetrics.UNMATCHED);
            HttpErrors.send(response, 400, "invalid_request_id", e.getMessage());
            return;
        }
        boolean known = requestPath != null || path.equals("/healthz") || path.equals("/readyz")
                || path.equals("/metrics");
        count(request, !known ? HttpMetrics.UNMATCHED : requestPath == null ? path
                : requestPath.events() ? "/v1/requests/{id}/events" : "/v1/requests/{id}");
        if (!known) {
            HttpErrors.send(response, 404, "not_found", "no such resource: " + path);
            return;
        }
        if (request.method() != HttpMethod.GET) {
            response.putHeader("Allow", "GET");
            HttpErrors.send(response, 405, "method_not_allowed", request.method() + " is not allowed on " + path);
            return;
        }
        try {
            request.params(); // decodes the query now: a bad escape would throw later, leaving the request unanswered
        } catch (IllegalArgumentException e) {
            HttpErrors.send(response, 400, "invalid_query", "the query string is not valid percent-encoding");
            return;
        }
        if (path.equals("/healthz")) {
            if (outputWriter != null && !outputWriter.isAlive()) {
                // Nothing writes output_uri results any more: only a restart brings the writer back.
                HttpErrors.send(response, 503, "output_writer_stopped",
                        "the output_uri writer stopped after an error (see the log); restart the sink");
            } else if (jobProgress != null && !jobProgress.isRunning()) {
                HttpErrors.send(response, 503, "job_progress_stopped",
                        "the bucket-job progress topology stopped after an error (see the log); restart the sink");
            } else if (jobShardWriter != null && !jobShardWriter.isAlive()) {
                HttpErrors.send(response, 503, "job_shard_writer_stopped",
                        "the bucket-job shard writer stopped after an error (see the log); restart the sink");
            } else {
                Json.send(response, 200, new JsonObject().put("status", "ok"));
            }
        } else if (path.equals("/metrics")) {
            response.putHeader("Content-Type", ServiceMetrics.CONTENT_TYPE).end(metrics.scrape());
        } else if (path.equals("/readyz")) {
            if (hub.isReady()) {
                Json.send(response, 200, new JsonObject().put("status", "ready"));
            } else {
                HttpErrors.send(response, 503, "not_ready", "not yet reading " + config.events().tokensTopic()
                        + " and " + config.events().resultsTopic());
            }
        } else if (!admitted(request)) {
            return;
        } else if (requestPath.events()) {
            streamEvents(request, requestPath.requestId());
        } else {
            lookUpResult(request, requestPath.requestId());
        }
    }

    /**
     * With API keys: the request presents a known key within its rate limit, else it is answered 401 or 429 here.
     * Keys are never logged.
     */
    private boolean admitted(HttpServerRequest request) {
        ApiAccess.Decision decision = config.access().check(ApiKeys.presented(request.getHeader("Authorization"),
                request.getHeader("X-API-Key")));
        if (decision instanceof ApiAccess.Decision.Unauthenticated refused) {
            log.info("{} {} refused: {}", request.method(), request.path(), refused.code());
            request.response().putHeader("WWW-Authenticate", "Bearer");
            HttpErrors.send(request.response(), 401, refused.code(), refused.message());
            return false;
        }
        if (decision instanceof ApiAccess.Decision.RateLimited limited) {
            request.response().putHeader("Retry-After", Long.toString(limited.retryAfterSeconds()));
            HttpErrors.send(request.response(), 429, "rate_limited", "this API key is limited to "
                    + config.access().rateLimiter().orElseThrow().perSecond() + " requests per second; retry after "
                    + limited.retryAfterSeconds() + " s");
            return false;
        }
        return true;
    }

    /**
     * Counts the exchange when its response ends, or when its client goes away first (status 499: Vert.x tells that
     * to the response's exception handler; the close handler belongs to the stream and look-up code).
     */
    private void count(HttpServerRequest request, String route) {
        long start = System.nanoTime();
        HttpServerResponse response = request.response();
        boolean[] counted = {false};
        Handler<Object> record = ignored -> {
            if (!counted[0]) {
                counted[0] = true;
                httpMetrics.record(route, request.method().name(),
                        response.ended() ? response.getStatusCode() : HttpMetrics.CLIENT_CLOSED,
                        System.nanoTime() - start);
            }
        };
        response.endHandler(record::handle);
        response.exceptionHandler(record::handle);
    }

    private void streamEvents(HttpServerRequest request, String requestId) {
        long afterTokenOffset;
        try {
            afterTokenOffset = lastEventId(request);
        } catch (IllegalArgumentException e) {
            HttpErrors.send(request.response(), 400, "invalid_last_event_id", e.getMessage());
            return;
        }
        EventStream.open(vertx, request.response(), hub, requestId, afterTokenOffset, config, openStreams);
    }

    private void lookUpResult(HttpServerRequest request, String requestId) {
        String wait = request.getParam("wait");
        int waitSeconds = DEFAULT_WAIT_SECONDS;
        if (wait != null) {
            try {
                waitSeconds = Integer.parseInt(wait.trim());
            } catch (NumberFormatException e) {
                waitSeconds = -1;
            }
            if (waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
                HttpErrors.send(request.response(), 400, "invalid_wait",
                        "wait must be a whole number of seconds from 0 to " + MAX_WAIT_SECONDS + ", got '" + wait + "'");
                return;
            }
        }
        ResultLookup.respond(vertx, request.response(), hub, requestId, waitSeconds);
    }

    /**
     * The offset the client has seen last: the {@code Last-Event-ID} header (what EventSource sends when it
     * reconnects), else the {@code last_event_id} query parameter; -1 (from the start) without either.
     */
    static long lastEventId(HttpServerRequest request) {
        String value = request.getHeader("Last-Event-ID");
        if (value == null || value.isBlank()) {
            value = request.getParam("last_event_id");
        }
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            long offset = Long.parseLong(value.trim());
            if (offset >= -1) {
                return offset;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the last event id must be an event id this stream sent (an integer), got '"
                + value + "'");
    }

    /**
     * Stops the HTTP server (open streams are cut), the output writer (after the put in progress, committing what it
     * wrote), the hub and Vert.x.
     */
    @Override
    public void close() {
        try {
            if (server != null) {
                server.close().await();
            }
        } finally {
            try {
                if (jobShardWriter != null) {
                    jobShardWriter.close();
                }
                if (jobProgress != null) {
                    jobProgress.close();
                }
                if (outputWriter != null) {
                    outputWriter.close();
                }
                if (s3 != null) {
                    s3.close();
                }
            } finally {
                hub.close();
                vertx.close().await();
                metrics.close();
            }
        }
        log.info("result sink stopped");
    }
}
