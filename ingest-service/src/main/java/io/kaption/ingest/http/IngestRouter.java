package io.kaption.ingest.http;

import io.kaption.kit.metrics.HttpMetrics;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Dispatches requests by path (a trailing slash is ignored) and method; unknown paths are 404 {@code not_found},
 * known paths with another method 405 {@code method_not_allowed}. A path segment written {@code {name}} matches any one
 * segment, which the handler reads with {@link HttpExchange#pathParam}; exact paths are matched before such
 * patterns. Every exchange gets its request id first, so that even these errors carry {@code X-Request-Id}. Routes
 * pass the guard (API keys, rate limit) before their handler runs, unless added as open routes.
 */
public final class IngestRouter implements Handler<HttpServerRequest> {

    /** Path (or pattern) → method → route, in the order added. */
    private final Map<String, Map<HttpMethod, Route>> routes = new LinkedHashMap<>();
    private final HttpMetrics metrics;

    private record Route(HttpMethod method, ErrorShape errorShape, boolean open, Consumer<HttpExchange> handler) {
    }

    private final Predicate<HttpExchange> guard;

    private record Match(String template, Map<HttpMethod, Route> byMethod, Map<String, String> params) {
    }

    /**
     * @param guard   admits a request to a route that is not {@linkplain #openRoute open}, or answers it (401, 429)
     *                and returns false
     * @param metrics counts every exchange by its route's path template
     */
    public IngestRouter(Predicate<HttpExchange> guard, HttpMetrics metrics) {
        this.guard = guard;
        this.metrics = metrics;
    }

    /** A route behind the guard (API keys). */
    public IngestRouter route(HttpMethod method, String path, ErrorShape errorShape, Consumer<HttpExchange> handler) {
        routes.computeIfAbsent(path, p -> new LinkedHashMap<>())
                .put(method, new Route(method, errorShape, false, handler));
        return this;
    }

    /** A route open to everyone even when API keys are on: health probes, metrics, the playground's static files. */
    public IngestRouter openRoute(HttpMethod method, String path, ErrorShape errorShape,
                                  Consumer<HttpExchange> handler) {
        routes.computeIfAbsent(path, p -> new LinkedHashMap<>())
                .put(method, new Route(method, errorShape, true, handler));
        return this;
    }

    @Override
    public void handle(HttpServerRequest request) {
        Context context = Vertx.currentContext();
        String path = request.path().length() > 1 && request.path().endsWith("/")
                ? request.path().substring(0, request.path().length() - 1)
                : request.path();
        Match match = match(path);
        Route route = match == null ? null : match.byMethod().getOrDefault(request.method(),
                match.byMethod().values().iterator().next());
        String requestId;
        try {
            requestId = RequestIds.fromHeader(Optional.ofNullable(request.getHeader(RequestIds.HEADER)));
        } catch (ApiException e) {
            HttpExchange exchange = new HttpExchange(request, UUID.randomUUID().toString(), context, Map.of(), metrics,
                    template(match));
            shape(exchange, route);
            exchange.fail(e);
            return;
        }
        HttpExchange exchange = new HttpExchange(request, requestId, context,
                match == null ? Map.of() : match.params(), metrics, template(match));
        shape(exchange, route);
        if (route == null) {
            exchange.fail(new ApiException(404, "not_found", "no endpoint " + request.path()));
        } else if (!route.method().equals(request.method())) {
            String allowed = match.byMethod().keySet().stream().map(HttpMethod::name)
                    .collect(Collectors.joining(", "));
            request.response().putHeader(HttpHeaders.ALLOW, allowed);
            exchange.fail(new ApiException(405, "method_not_allowed", request.path() + " takes " + allowed));
        } else if (route.open() || guard.test(exchange)) {
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
        HttpExchange exchange = new HttpExchange(request, UUID.randomUUID().toString(), Vertx.currentContext(),
                Map.of(), metrics, HttpMetrics.UNMATCHED);
        request.response().putHeader(HttpHeaders.CONNECTION, "close");
        exchange.fail(error);
        request.connection().close();
    }

    private Match match(String path) {
        Map<HttpMethod, Route> exact = routes.get(path);
        if (exact != null) {
            return new Match(path, exact, Map.of());
        }
        List<String> segments = List.of(path.split("/", -1));
        for (Map.Entry<String, Map<HttpMethod, Route>> candidate : routes.entrySet()) {
            List<String> pattern = List.of(candidate.getKey().split("/", -1));
            if (!candidate.getKey().contains("{") || pattern.size() != segments.size()) {
                continue;
            }
            Map<String, String> params = new HashMap<>();
            boolean matches = true;
            for (int i = 0; i < pattern.size() && matches; i++) {
                String expected = pattern.get(i);
                if (expected.startsWith("{") && expected.endsWith("}")) {
                    matches = !segments.get(i).isEmpty();
                    params.put(expected.substring(1, expected.length() - 1), segments.get(i));
                } else {
                    matches = expected.equals(segments.get(i));
                }
            }
            if (matches) {
                return new Match(candidate.getKey(), candidate.getValue(), Map.copyOf(params));
            }
        }
        return null;
    }

    private static String template(Match match) {
        return match == null ? HttpMetrics.UNMATCHED : match.template();
    }

    private static void shape(HttpExchange exchange, Route route) {
        if (route != null) {
            exchange.errorShape(route.errorShape());
        }
    }
}
