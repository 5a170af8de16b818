package io.kaption.local.batches;

import static io.kaption.local.batches.BatchClient.line;
import static io.kaption.local.batches.BatchClient.pngDataUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.localstack.junit.ChildJvm;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.sink.SinkMain;
import io.kaption.worker.WorkerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch survives a worker and then a result sink killed with SIGKILL in the middle of it: every custom id is in
 * exactly one line of the output and error files, and the counts are right. The set-up is
 * {@code BucketJobCrashIT}'s: worker and sink as child JVMs that can be killed for real, the ingest service (Batch
 * API, planner) in this JVM.
 */
@ExtendWith(SharedInfrastructure.class)
class BatchCrashIT {

    private static final int REQUESTS = 30;

    @TempDir
    Path dir;

    @Test
    void aWorkerAndASinkKilledMidBatchLoseAndDuplicateNoCustomId() throws Exception {
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        DemoCheckpoint.write(modelDir);
        String group = "batch-crash-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = SharedInfrastructure.serviceEnvironment();
        env.put("KAPTION_TOPIC_PARTITIONS", "3");
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("TAKEOFF_CONSUMER_GROUP", group);
        env.put("TAKEOFF_MAX_BATCH_SIZE", "2");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_SINK_HOST", "127.0.0.1");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("KAPTION_JOB_SHARD_RECORDS", "8");
        env.put("KAPTION_JOB_PLAN_PAGE_SIZE", "10");
        Path log = dir.resolve("children.log");

        Map<String, String> ingestEnv = new HashMap<>(env);
        ingestEnv.put("KAPTION_INGEST_HOST", "127.0.0.1");
        ingestEnv.put("KAPTION_INGEST_PORT", "0");
        ingestEnv.put("KAPTION_FILES_URI", "s3://files-" + UUID.randomUUID().toString().substring(0, 8) + "/");
        System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        ChildJvm worker = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");
        ChildJvm sink = ChildJvm.start(SinkMain.class, withStateDir(env, dir.resolve("sink-state-1")), log,
                "-Xmx384m");
        try (IngestService ingest = IngestService.start(IngestConfig.fromEnvironment(ingestEnv))) {
            BatchClient client = new BatchClient(ingest.port());
            client.awaitReady();
            client.awaitWorkerConsuming(group);
            List<ObjectNode> lines = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                lines.add(line("crash-" + i, group, "Describe the image.", 16, pngDataUrl(i)));
            }
            String batchId = client.createBatch(client.uploadBatchFile(lines)).get("id").asText();

            JsonNode atWorkerKill = client.awaitBatch(batchId, batch -> completed(batch) >= 5);
            assertThat(completed(atWorkerKill)).as("killed mid-batch").isLessThan(REQUESTS);
            worker.kill();
            worker = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");

            JsonNode atSinkKill = client.awaitBatch(batchId, batch -> completed(batch) >= 12);
            assertThat(completed(atSinkKill)).as("killed mid-batch").isLessThan(REQUESTS);
            sink.kill();
            sink = ChildJvm.start(SinkMain.class, withStateDir(env, dir.resolve("sink-state-2")), log, "-Xmx384m");

            JsonNode batch = client.awaitBatch(batchId, BatchClient::ended);
            assertThat(batch.get("status").asText()).as("children's log: %s", log).isEqualTo("completed");
            assertThat(batch.get("request_counts").toString())
                    .isEqualTo("{\"total\":" + REQUESTS + ",\"completed\":" + REQUESTS + ",\"failed\":0}");
            List<JsonNode> output = client.fileLines(batch.get("output_file_id"));
            List<JsonNode> errors = client.fileLines(batch.get("error_file_id"));
            assertThat(Stream.concat(output.stream(), errors.stream()).map(l -> l.get("custom_id").asText()))
                    .containsExactlyInAnyOrderElementsOf(lines.stream().map(l -> l.get("custom_id").asText())
                            .toList());
            assertThat(errors).isEmpty();
        } finally {
            worker.close();
            sink.close();
        }
    }

    private static long completed(JsonNode batch) {
        return batch.get("request_counts").get("completed").asLong();
    }

    private static Map<String, String> withStateDir(Map<String, String> env, Path stateDir) {
        Map<String, String> sinkEnv = new HashMap<>(env);
        sinkEnv.put("KAPTION_SINK_STATE_DIR", stateDir.toString());
        return sinkEnv;
    }
}
