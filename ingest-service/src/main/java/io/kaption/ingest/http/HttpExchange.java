package io.kaption.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.apikeys.ApiKey;
import io.kaption.images.ImageIntakeException;
import io.kaption.kit.metrics.HttpMetrics;
import io.vertx.core.Context;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request and its response, with its request id and the Vert.x context (event loop) everything about it runs
 * on. Writes JSON bodies, JSON errors and the head of an SSE stream; logs one line when the response is done.
 */
public final class HttpExchange {

    private static final Logger LOG = LoggerFactory.getLogger(HttpExchange.class);

    /** How long an unread request body is drained after an early answer before the connection is closed anyway. */
    private static final long LINGER_MILLIS = 2_000;

    private final HttpServerRequest request;
    private final String requestId;
    private final Context context;
    private final Map<String, String> pathParams;
    private final long startNanos = System.nanoTime();
    private ErrorShape errorShape = ErrorShape.KAPTION;
    private boolean closeConnectionAfterResponse;
    private Optional<ApiKey> apiKey = Optional.empty();
    private final List<Runnable> clientGoneCallbacks = new ArrayList<>();
    private final HttpMetrics metrics;
    private final String route;
    private boolean streaming;
    private boolean recorded;

    /**
     * @param metrics where the exchange is counted when it ends
     * @param route   the route's path template ({@code /v1/jobs/{id}}), {@link HttpMetrics#UNMATCHED} for none
     */
    public HttpExchange(HttpServerRequest request, String requestId, Context context, Map<String, String> pathParams,
                        HttpMetrics metrics, String route) {
        this.request = request;
        this.requestId = requestId;
        this.context = context;
        this.pathParams = pathParams;
        this.metrics = metrics;
        this.route = route;
        HttpServerResponse response = request.response();
        response.putHeader(RequestIds.HEADER, requestId);
        response.endHandler(v -> {
            LOG.info("{} {} -> {} request_id={}{} {} ms", request.method(), request.path(), response.getStatusCode(),
                    requestId, apiKey.map(key -> " api_key=" + key.fingerprint()).orElse(""), elapsedMillis());
            record();
            if (closeConnectionAfterResponse) {
                closeAfterDrainingTheBody();
            }
        });
        response.closeHandler(v -> {
            if (!response.ended()) {
                LOG.info("{} {} -> client went away after {} ms request_id={}", request.method(), request.path(),
                        elapsedMillis(), requestId);
                record();
                clientGoneCallbacks.forEach(Runnable::run);
            }
        });
    }

    /** Counts the exchange once, when its response ended or its client went away (status 499). */
    private void record() {
        if (recorded) {
            return;
        }
        recorded = true;
        if (streaming) {
            metrics.openStreams().decrementAndGet();
        }
        metrics.record(route, request.method().name(),
                response().ended() ? response().getStatusCode() : HttpMetrics.CLIENT_CLOSED,
                System.nanoTime() - startNanos);
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return request.response();
    }

    public String requestId() {
        return requestId;
    }

    /** The path segment the route's pattern names {@code {name}}, as sent (not percent-decoded). */
    public String pathParam(String name) {
        String value = pathParams.get(name);
        if (value == null) {
            throw new IllegalStateException("the route has no path parameter " + name);
        }
        return value;
    }

    /** The event loop context of this request: callbacks from other threads are handed over to it. */
    public Context context() {
        return context;
    }

    /** Runs {@code callback} on this exchange's event loop if the client disconnects before the response is done. */
    public void onClientGone(Runnable callback) {
        clientGoneCallbacks.add(callback);
    }

    /** The API key the request was admitted with; empty when keys are off (or for an open route). */
    public Optional<ApiKey> apiKey() {
        return apiKey;
    }

    public void apiKey(ApiKey key) {
        this.apiKey = Optional.of(key);
    }

    /** 403 {@code group_not_allowed} unless the request's API key (if keys are on) may use consumer group {@code group}. */
    public void requireGroup(String group) {
        if (apiKey.isPresent() && !apiKey.get().mayUse(group)) {
            throw new ApiException(403, "group_not_allowed", "this API key may not use consumer group '" + group
                    + "'; it may use " + String.join(", ", apiKey.get().groups().stream().sorted().toList()));
        }
    }

    /** Whether the request's API key (if keys are on) may use consumer group {@code group}. */
    public boolean mayUse(String group) {
        return apiKey.map(key -> key.mayUse(group)).orElse(true);
    }

    public void errorShape(ErrorShape shape) {
        this.errorShape = shape;
    }

    public ErrorShape errorShape() {
        return errorShape;
    }

    /** True once the response is finished or the client is gone: nothing more can be written. */
    public boolean isDone() {
        return response().ended() || response().closed();
    }

    public void json(int status, JsonNode body) {
        if (isDone()) {
            return;
        }
        closeIfBodyUnread();
        response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Json.write(body));
    }

    /** Answers with the error {@code failure} stands for, unless the head of the response is already out. */
    public void fail(Throwable failure) {
        ApiException error = toApiException(failure);
        if (error.status() >= 500 && !(failure instanceof ApiException)) {
            LOG.error("request_id={} failed", requestId, failure);
        }
        if (isDone()) {
            return;
        }
        if (response().headWritten()) {
            LOG.warn("request_id={} failed after the response started: {}", requestId, error.getMessage());
            response().end();
            return;
        }
        json(error.status(), errorShape.body(error.status(), error.code(), error.getMessage()));
    }

    /** Sends the head of a 200 server-sent event stream. */
    public void startEventStream() {
        if (!streaming) {
            streaming = true;
            metrics.openStreams().incrementAndGet();
        }
        response().setStatusCode(200)
                .setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, Sse.CONTENT_TYPE)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("X-Accel-Buffering", "no");
    }

    public static ApiException toApiException(Throwable failure) {
        if (failure instanceof ApiException api) {
            return api;
        }
        if (failure instanceof ImageIntakeException image) {
            return ApiException.of(image);
        }
        return new ApiException(500, "internal_error", "internal error; the logs have the details", failure);
    }

    // An early answer (e.g. 413 while the body still streams in) leaves unread bytes on an HTTP/1.x connection: close
    // it after the response instead of trying to read the next request out of the rest of this body. HTTP/2 frames
    // each stream on its own (an unread body only resets that stream) and forbids a Connection header: adding one
    // made every answer given before the request's end-of-stream was read a GOAWAY without the response.
    private void closeIfBodyUnread() {
        if (request.version() != HttpVersion.HTTP_2 && !request.isEnded()) {
            response().putHeader(HttpHeaders.CONNECTION, "close");
            closeConnectionAfterResponse = true;
        }
    }

    /**
     * Closing while the client is still sending makes the kernel answer its next segment with a reset, and a reset
     * discards the response the client had not read yet: the client sees "connection reset" instead of the 413. So
     * the rest of the body is read and dropped first (a lingering close, as nginx and Jetty do), for a bounded time.
     */
    private void closeAfterDrainingTheBody() {
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = context.owner().setTimer(LINGER_MILLIS, id -> request.connection().close());
        request.handler(ignored -> { });
        request.endHandler(v -> {
            context.owner().cancelTimer(timer);
            request.connection().close();
        });
        request.resume();
    }

    private long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
