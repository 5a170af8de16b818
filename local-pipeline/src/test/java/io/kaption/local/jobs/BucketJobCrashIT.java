package io.kaption.local.jobs;

import static io.kaption.local.jobs.BucketFixtures.JSON;
import static io.kaption.local.jobs.BucketFixtures.completed;
import static io.kaption.local.jobs.BucketFixtures.job;
import static io.kaption.local.jobs.BucketFixtures.lines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bucket job survives a worker and then a result sink killed with SIGKILL in the middle of it: every object still
 * has exactly one line across the shards, and the counts and the manifest are right. Worker and sink run as child
 * JVMs so that they can be killed for real; the job API runs in this JVM.
 */
@ExtendWith(SharedInfrastructure.class)
class BucketJobCrashIT {

    private static final int IMAGES = 40;

    @TempDir
    Path dir;

    @Test
    void aWorkerAndASinkKilledMidJobLoseAndDuplicateNothing() throws Exception {
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        DemoCheckpoint.write(modelDir);
        String group = "crash-" + UUID.randomUUID().toString().substring(0, 8);
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

        BucketFixtures fixtures = new BucketFixtures();
        String bucket = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        fixtures.createBucket(bucket);
        List<String> images = fixtures.putImages(bucket, "in/", IMAGES);

        Map<String, String> ingestEnv = new HashMap<>(env);
        ingestEnv.put("KAPTION_INGEST_HOST", "127.0.0.1");
        ingestEnv.put("KAPTION_INGEST_PORT", "0");
        System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        ChildJvm worker = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");
        ChildJvm sink = ChildJvm.start(SinkMain.class, withStateDir(env, dir.resolve("sink-state-1")), log,
                "-Xmx384m");
        try (IngestService ingest = IngestService.start(IngestConfig.fromEnvironment(ingestEnv))) {
            int port = ingest.port();
            fixtures.awaitReady(port);
            String jobId = fixtures.submit(port, job("s3://" + bucket + "/in/", "s3://" + bucket + "/out/", group, 16));

            JsonNode atWorkerKill = fixtures.awaitJob(port, jobId, status -> completed(status) >= 5);
            assertThat(completed(atWorkerKill)).as("killed mid-job").isLessThan(IMAGES);
            worker.kill();
            worker = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");

            JsonNode atSinkKill = fixtures.awaitJob(port, jobId, status -> completed(status) >= 12);
            assertThat(completed(atSinkKill)).as("killed mid-job").isLessThan(IMAGES);
            sink.kill();
            // A fresh state directory: the restarted sink rebuilds its stores from their changelogs.
            sink = ChildJvm.start(SinkMain.class, withStateDir(env, dir.resolve("sink-state-2")), log, "-Xmx384m");

            JsonNode status = fixtures.awaitJob(port, jobId, BucketFixtures::terminal);
            assertThat(status.get("state").asText()).as("children's log: %s", log).isEqualTo("completed");
            assertThat(status.get("counts").toString()).isEqualTo(
                    "{\"total\":" + IMAGES + ",\"planned\":" + IMAGES + ",\"completed\":" + IMAGES + ",\"failed\":0}");
            Map<String, String> outputs = fixtures.outputs(bucket, "out/", jobId);
            assertThat(lines(outputs, "results")).extracting(line -> line.get("record_id").asText())
                    .containsExactlyInAnyOrderElementsOf(images);
            assertThat(lines(outputs, "errors")).isEmpty();
            assertThat(outputs.keySet()).containsExactly("manifest.json", "results-00000.jsonl",
                    "results-00001.jsonl", "results-00002.jsonl", "results-00003.jsonl", "results-00004.jsonl");
            JsonNode manifest = JSON.readTree(outputs.get("manifest.json"));
            assertThat(manifest.get("counts").toString())
                    .isEqualTo("{\"total\":" + IMAGES + ",\"completed\":" + IMAGES + ",\"failed\":0}");
        } finally {
            worker.close();
            sink.close();
        }
    }

    private static Map<String, String> withStateDir(Map<String, String> env, Path stateDir) {
        Map<String, String> sinkEnv = new HashMap<>(env);
        sinkEnv.put("KAPTION_SINK_STATE_DIR", stateDir.toString());
        return sinkEnv;
    }
}
