package io.kaption.ingest.http;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Dispatches requests by exact path (a trailing slash is ignored) and method; unknown paths are 404
 * {@code not_found}, known paths with another method 405 {@code method_not_allowed}. Every exchange gets its request
 * id first, so that even these errors carry {@code X-Request-Id}.
 */
public final class IngestRouter implements Handler<HttpServerRequest> {

    private final Map<String, Route> routes = new LinkedHashMap<>();

    private record Route(HttpMethod method, ErrorShape errorShape, Consumer<HttpExchange> handler) {
    }

    public IngestRouter route(HttpMethod method, String path, ErrorShape errorShape, Consumer<HttpExchange> handler) {
        routes.put(path, new Route(method, errorShape, handler));
        return this;
    }

    @Override
    public void handle(HttpServerRequest request) {
        Context context = Vertx.currentContext();
        String path = request.path().length() > 1 && request.path().endsWith("/")
                ? request.path().substring(0, request.path().length() - 1)
                : request.path();
        Route route = routes.get(path);
        String requestId;
        try {
            requestId = RequestIds.fromHeader(Optional.ofNullable(request.getHeader(RequestIds.HEADER)));
        } catch (ApiException e) {
            HttpExchange exchange = new HttpExchange(request, UUID.randomUUID().toString(), context);
            shape(exchange, route);
            exchange.fail(e);
            return;
        }
        HttpExchange exchange = new HttpExchange(request, requestId, context);
        shape(exchange, route);
        if (route == null) {
            exchange.fail(new ApiException(404, "not_found", "no endpoint " + request.path()));
        } else if (!route.method().equals(request.method())) {
            request.response().putHeader(HttpHeaders.ALLOW, route.method().name());
            exchange.fail(new ApiException(405, "method_not_allowed", request.path() + " takes "
                    + route.method().name()));
        } else {
            try {
                route.handler().accept(exchange);
            } catch (RuntimeException e) {
                exchange.fail(e);
            }
        }
    }

    /**
     * Requests the HTTP decoder refused (a malformed {@code Content-Length}, an over-long request line or header
     * block): Vert.x's default answers them with an empty body; this answers with the same statuses as JSON errors,
     * then closes the connection, whose framing can no longer be trusted.
     */
    public void invalid(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        ApiException error;
        if (cause instanceof TooLongHttpLineException) {
            error = new ApiException(414, "uri_too_long", "the request line is longer than "
                    + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes");
        } else if (cause instanceof TooLongHttpHeaderException) {
            error = new ApiException(431, "headers_too_large", "the request headers are larger than "
                    + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes");
        } else {
            error = ApiException.badRequest("invalid_http", "the request is not valid HTTP"
                    + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
        HttpExchange exchange = new HttpExchange(request, UUID.randomUUID().toString(), Vertx.currentContext());
        request.response().putHeader(HttpHeaders.CONNECTION, "close");
        exchange.fail(error);
        request.connection().close();
    }

    private static void shape(HttpExchange exchange, Route route) {
        if (route != null) {
            exchange.errorShape(route.errorShape());
        }
    }
}
