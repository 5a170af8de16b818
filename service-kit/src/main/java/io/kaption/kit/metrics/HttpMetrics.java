package io.kaption.kit.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP server metrics shared by the services: {@code kaption_http_server_requests_seconds} (a histogram by route
 * template, method and status; a response the client left before its end counts as status {@code 499}, as nginx
 * logs it) and {@code kaption_sse_streams_open} (server-sent event streams open now).
 */
public final class HttpMetrics {

    /** The status recorded for a response whose client went away before it ended. */
    public static final int CLIENT_CLOSED = 499;
    /** The route of requests no route matched: one series for all of them, whatever the path. */
    public static final String UNMATCHED = "unmatched";
    /** The method of requests whose method is none of HTTP's standard ones (OpenTelemetry's name for it). */
    public static final String OTHER_METHOD = "_OTHER";
    /** Clients may send any token as a method: one series per token would let them grow the registry without end. */
    private static final Set<String> STANDARD_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
            "OPTIONS", "TRACE", "PATCH");

    private final MeterRegistry registry;
    private final AtomicInteger openStreams = new AtomicInteger();
    /** Registering looks the meter up by name and tags each time; a hot route's timer is found here instead. */
    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();

    private record Series(String route, String method, int status) {
    }

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("kaption.sse.streams.open", openStreams);
    }

    /** Records one finished response. */
    public void record(String route, String method, int status, long durationNanos) {
        String series = STANDARD_METHODS.contains(method) ? method : OTHER_METHOD;
        timers.computeIfAbsent(new Series(route, series, status), this::register)
                .record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Timer register(Series series) {
        return Timer.builder("kaption.http.server.requests")
                .description("HTTP requests by route template, method and status, and their latency to the response's "
                        + "end (a stream's whole duration)")
                .tags("route", series.route(), "method", series.method(), "status", Integer.toString(series.status()))
                .serviceLevelObjectives(ServiceMetrics.HTTP_BUCKETS)
                .register(registry);
    }

    /** Server-sent event streams open now: increment when one opens, decrement when it ends. */
    public AtomicInteger openStreams() {
        return openStreams;
    }
}
