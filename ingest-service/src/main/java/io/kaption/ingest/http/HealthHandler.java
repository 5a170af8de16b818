package io.kaption.ingest.http;

import java.util.function.BooleanSupplier;
import io.kaption.events.RequestEventHub;
import io.kaption.ingest.jobs.JobDirectory;
import io.kaption.ingest.publish.RequestPublisher;
import io.vertx.core.Vertx;

/**
 * {@code GET /healthz}: the process serves HTTP, and its job planner (when it runs one) has not stopped after an
 * error. {@code GET /readyz}: it can also take requests, i.e. Kafka answers
 * and the event hub reads partitions of {@code kaption.tokens} and {@code kaption.results} (so answers can come back),
 * and the job directory has read {@code kaption.jobs} and {@code kaption.job-status} as far as they went at start.
 */
public final class HealthHandler {

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final RequestEventHub hub;
    private final JobDirectory jobs;
    private final BooleanSupplier plannerAlive;

    /** @param plannerAlive false once this process' job planner stopped after an error (always true without one) */
    public HealthHandler(Vertx vertx, RequestPublisher publisher, RequestEventHub hub, JobDirectory jobs,
                         BooleanSupplier plannerAlive) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.hub = hub;
        this.jobs = jobs;
        this.plannerAlive = plannerAlive;
    }

    public void live(HttpExchange exchange) {
        if (!plannerAlive.getAsBoolean()) {
            // Submitted jobs would wait forever: only a restart brings the planner back.
            exchange.fail(new ApiException(503, "job_planner_stopped",
                    "the job planner stopped after an error (see the log); restart the ingest service"));
            return;
        }
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
