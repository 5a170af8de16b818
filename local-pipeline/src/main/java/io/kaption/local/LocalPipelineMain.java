package io.kaption.local;

import io.kaption.localstack.LocalStack;
import io.kaption.localstack.LocalStackMain;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.WorkerConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/kaption local}: Kafka and S3 (as {@code bin/kaption infra}), then a worker, the result sink and the
 * ingest service in this JVM, until Ctrl-C or SIGTERM. Without {@code KAPTION_MODEL} the worker serves the demo model,
 * whose answers are noise. It says it is ready only once the worker consumes (has its partitions).
 *
 * <p>The broker child runs in its own session, so a signal to this process group reaches only this JVM, whose
 * shutdown hook stops the services (the worker leaves its group) before the broker. The worker is a static group
 * member ({@code KAPTION_WORKER_INSTANCE_ID=local} unless set): after a {@code kill -9} the next start takes its
 * partitions back at once instead of waiting for the dead member's session to time out. Requests running at a stop
 * get {@link #LOCAL_SHUTDOWN_GRACE} to finish ({@code KAPTION_WORKER_SHUTDOWN_GRACE_MS}), so that the process is gone
 * within seconds of SIGTERM or Ctrl-C.
 */
public final class LocalPipelineMain {

    /** How long requests running at a stop may finish before they are cancelled (unless configured). */
    static final Duration LOCAL_SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private LocalPipelineMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        LocalStackMain.Started started = LocalStackMain.startOrExit("kaption local", env);
        LocalStack stack = started.stack();
        // The job progress stores belong with the broker's log they were built from.
        env.putIfAbsent("KAPTION_SINK_STATE_DIR", started.settings().dataDir().resolve("sink-state").toString());
        // One worker and one sink per data directory (DataDirectoryLock): stable ids are safe and let a restart reclaim
        // the partitions (and the job progress tasks) at once.
        env.putIfAbsent(WorkerConfig.INSTANCE_ID, "local");
        env.putIfAbsent(ResultSinkConfig.INSTANCE_ID, "local");
        // Stopped from a terminal or by a supervisor, the whole process must be gone in seconds: with the worker's
        // fleet default (30 s for requests in flight that no client waits on: records produced to Kafka, /v1/requests,
        // job records) it outlived the SIGTERM by more than 30 s, still holding the S3 port a next start needs.
        env.putIfAbsent(WorkerConfig.SHUTDOWN_GRACE_MILLIS, Long.toString(LOCAL_SHUTDOWN_GRACE.toMillis()));
        LocalPipeline pipeline;
        try {
            pipeline = LocalPipeline.start(env, stack);
        } catch (Exception e) {
            stack.close();
            System.err.println("kaption local: the pipeline did not start: " + e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // One hook, in order: the services close their Kafka clients (the worker leaves its consumer group) while
        // the broker still runs; otherwise the next start waits for the group's session timeout.
        stack.leaveShutdownToOwner();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("kaption local: stopping");
            try {
                pipeline.close();
            } finally {
                stack.close();
                stopped.countDown();
            }
        }, "local-pipeline-shutdown"));

        if (!awaitWorkerConsuming(pipeline, stopped)) {
            return; // stopping
        }
        String ingest = "http://127.0.0.1:" + pipeline.ingestPort();
        System.out.println(String.join(System.lineSeparator(),
                "kaption local: ready (a worker consumes)",
                LocalStackMain.describe(stack, started.settings()),
                "  Ingest " + ingest + "   try: curl " + ingest
                        + "/generate -H 'Content-Type: application/json' -d '{\"text\": \"Hello\"}'",
                "  Sink   http://127.0.0.1:" + pipeline.sinkPort() + "   (SSE: /v1/requests/<id>/events)",
                "  Worker http://127.0.0.1:" + pipeline.workerPort() + "/readyz",
                "  Metrics " + ingest + "/metrics, http://127.0.0.1:" + pipeline.workerPort()
                        + "/metrics (worker), http://127.0.0.1:" + pipeline.sinkPort() + "/metrics",
                "  Jobs   bin/kaption job submit s3://<bucket>/<prefix>/ --prompt '...' --output s3://<bucket>/<out>/"
                        + "   (docs/bucket-jobs.md)",
                "  Model  " + env.getOrDefault(WorkerConfig.MODEL,
                        "the built-in DEMO model with random weights: its answers are noise (set KAPTION_MODEL)"),
                "  Ctrl-C stops everything."));
        stopped.await();
    }

    /** Waits until the worker has its partitions; false if the pipeline stops first. */
    private static boolean awaitWorkerConsuming(LocalPipeline pipeline, CountDownLatch stopped)
            throws InterruptedException {
        long waitingSince = System.nanoTime();
        boolean told = false;
        while (!pipeline.workerConsumes()) {
            if (stopped.await(100, TimeUnit.MILLISECONDS)) {
                return false;
            }
            if (!told && System.nanoTime() - waitingSince > TimeUnit.SECONDS.toNanos(5)) {
                System.out.println("kaption local: services started; waiting for the worker to be assigned its "
                        + "partitions (requests sent now queue in Kafka)");
                told = true;
            }
        }
        return true;
    }
}
