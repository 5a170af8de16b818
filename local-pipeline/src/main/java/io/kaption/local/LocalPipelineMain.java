package io.kaption.local;

import io.kaption.localstack.LocalStack;
import io.kaption.localstack.LocalStackMain;
import io.kaption.worker.WorkerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/kaption local}: Kafka and S3 (as {@code bin/kaption infra}), then a worker, the result sink and the
 * ingest service in this JVM, until Ctrl-C. Without {@code KAPTION_MODEL} the worker serves the demo model, whose
 * answers are noise.
 */
public final class LocalPipelineMain {

    private LocalPipelineMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        LocalStackMain.Started started = LocalStackMain.startOrExit("kaption local", env);
        LocalStack stack = started.stack();
        // The job progress stores belong with the broker's log they were built from.
        env.putIfAbsent("KAPTION_SINK_STATE_DIR", started.settings().dataDir().resolve("sink-state").toString());
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

        String ingest = "http://127.0.0.1:" + pipeline.ingestPort();
        System.out.println(String.join(System.lineSeparator(),
                "kaption local: the pipeline runs",
                LocalStackMain.describe(stack, started.settings()),
                "  Ingest " + ingest + "   try: curl " + ingest
                        + "/generate -H 'Content-Type: application/json' -d '{\"text\": \"Hello\"}'",
                "  Sink   http://127.0.0.1:" + pipeline.sinkPort() + "   (SSE: /v1/requests/<id>/events)",
                "  Metrics " + ingest + "/metrics, http://127.0.0.1:" + pipeline.workerPort()
                        + "/metrics (worker), http://127.0.0.1:" + pipeline.sinkPort() + "/metrics",
                "  Jobs   bin/kaption job submit s3://<bucket>/<prefix>/ --prompt '...' --output s3://<bucket>/<out>/"
                        + "   (docs/bucket-jobs.md)",
                "  Model  " + env.getOrDefault(WorkerConfig.MODEL,
                        "the built-in DEMO model with random weights: its answers are noise (set KAPTION_MODEL)"),
                "  Ctrl-C stops everything."));
        stopped.await();
    }
}
