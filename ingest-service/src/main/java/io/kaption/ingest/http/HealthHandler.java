package io.kaption.ingest.http;

import io.kaption.events.RequestEventHub;
import io.kaption.ingest.jobs.JobDirectory;
import io.kaption.ingest.publish.RequestPublisher;
import io.vertx.core.Vertx;

/**
 * {@code GET /healthz}: the process serves HTTP. {@code GET /readyz}: it can also take requests, i.e. Kafka answers
 * and the event hub reads partitions of {@code kaption.tokens} and {@code kaption.results} (so answers can come back),
 * and the job directory has read {@code kaption.jobs} and {@code kaption.job-status} as far as they went at start.
 */
public final class HealthHandler {

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final RequestEventHub hub;
    private final JobDirectory jobs;

    public HealthHandler(Vertx vertx, RequestPublisher publisher, RequestEventHub hub, JobDirectory jobs) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.hub = hub;
        this.jobs = jobs;
    }

    public void live(HttpExchange exchange) {
        exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ok"));
    }

    public void ready(HttpExchange exchange) {
        vertx.executeBlocking(publisher::kafkaReachable, false).onComplete(reachable -> {
            boolean kafka = reachable.succeeded() && reachable.result();
            boolean events = hub.isReady();
            boolean jobsRead = jobs.isReady();
            if (kafka && events && jobsRead) {
                exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ready"));
                return;
            }
            exchange.fail(new ApiException(503, "not_ready", "kafka: " + (kafka ? "ok" : "unreachable")
                    + "; events: " + (events ? "ok" : "partitions of kaption.tokens and kaption.results not assigned yet")
                    + "; jobs: " + (jobsRead ? "ok" : "kaption.jobs and kaption.job-status not read to their end yet")));
        });
    }
}
