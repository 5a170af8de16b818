package io.kaption.ingest.http;

import io.kaption.events.RequestEventHub;
import io.kaption.ingest.publish.RequestPublisher;
import io.vertx.core.Vertx;

/**
 * {@code GET /healthz}: the process serves HTTP. {@code GET /readyz}: it can also take requests, i.e. Kafka answers
 * and the event hub reads partitions of {@code kaption.tokens} and {@code kaption.results} (so answers can come back).
 */
public final class HealthHandler {

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final RequestEventHub hub;

    public HealthHandler(Vertx vertx, RequestPublisher publisher, RequestEventHub hub) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.hub = hub;
    }

    public void live(HttpExchange exchange) {
        exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ok"));
    }

    public void ready(HttpExchange exchange) {
        vertx.executeBlocking(publisher::kafkaReachable, false).onComplete(reachable -> {
            boolean kafka = reachable.succeeded() && reachable.result();
            boolean events = hub.isReady();
            if (kafka && events) {
                exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ready"));
                return;
            }
            exchange.fail(new ApiException(503, "not_ready", "kafka: " + (kafka ? "ok" : "unreachable")
                    + "; events: " + (events ? "ok" : "partitions of kaption.tokens and kaption.results not assigned yet")));
        });
    }
}
