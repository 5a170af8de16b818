package io.kaption.ingest.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.events.RequestEventHub;
import io.kaption.ingest.jobs.JobDirectory;
import io.kaption.ingest.publish.RequestPublisher;
import io.kaption.ingest.publish.WorkerPools;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /healthz}: the process serves HTTP, and its job planner (when it runs one) has not stopped after an
 * error. {@code GET /readyz}: it can also take requests, i.e. Kafka answers
 * and the event hub reads partitions of {@code kaption.tokens} and {@code kaption.results} (so answers can come back),
 * and the job directory has read {@code kaption.jobs} and {@code kaption.job-status} as far as they went at start.
 *
 * <p>Readiness does not depend on workers: requests queue durably in Kafka until a worker takes them, so an ingest
 * without workers still accepts. Its body says, per worker pool, whether any worker consumes ({@link WorkerPools},
 * at most a few seconds old), for operators and for clients that would rather not queue.
 */
public final class HealthHandler {

    private final Vertx vertx;
    private final RequestPublisher publisher;
    private final RequestEventHub hub;
    private final JobDirectory jobs;
    private final BooleanSupplier plannerAlive;
    private final WorkerPools workers;

    /** @param plannerAlive false once this process' job planner stopped after an error (always true without one) */
    public HealthHandler(Vertx vertx, RequestPublisher publisher, RequestEventHub hub, JobDirectory jobs,
                         BooleanSupplier plannerAlive, WorkerPools workers) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.hub = hub;
        this.jobs = jobs;
        this.plannerAlive = plannerAlive;
        this.workers = workers;
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
        vertx.executeBlocking(this::probe, false).onComplete(probed -> {
            Probe probe = probed.succeeded() ? probed.result() : new Probe(false, null, null);
            boolean events = hub.isReady();
            boolean jobsRead = jobs.isReady();
            if (probe.kafka() && events && jobsRead) {
                ObjectNode body = Json.MAPPER.createObjectNode().put("status", "ready");
                if (probe.pools() != null) {
                    ObjectNode pools = body.putObject("workers");
                    probe.pools().forEach((group, pool) -> pools.putObject(group)
                            .put("consuming", pool.consuming() > 0)
                            .put("members", pool.members())
                            .put("consuming_members", pool.consuming()));
                } else {
                    body.put("workers_error", probe.poolsError());
                }
                exchange.json(200, body);
                return;
            }
            exchange.fail(new ApiException(503, "not_ready", "kafka: " + (probe.kafka() ? "ok" : "unreachable")
                    + "; events: " + (events ? "ok" : "partitions of kaption.tokens and kaption.results not assigned yet")
                    + "; jobs: " + (jobsRead ? "ok" : "kaption.jobs and kaption.job-status not read to their end yet")));
        });
    }

    private record Probe(boolean kafka, Map<String, WorkerPools.Pool> pools, String poolsError) {
    }

    private Probe probe() {
        if (!publisher.kafkaReachable()) {
            return new Probe(false, null, null);
        }
        try {
            return new Probe(true, workers.pools(), null);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new Probe(true, null, "the worker groups could not be described: " + e);
        }
    }
}
