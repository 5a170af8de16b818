package io.kaption.local.jobs;

import static io.kaption.local.jobs.BucketFixtures.JSON;
import static io.kaption.local.jobs.BucketFixtures.completed;
import static io.kaption.local.jobs.BucketFixtures.job;
import static io.kaption.local.jobs.BucketFixtures.lines;
import static io.kaption.local.jobs.BucketFixtures.terminal;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.local.LocalPipeline;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.schemas.Topics;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bucket jobs end to end on one pipeline in this JVM: real HTTP into the job API, the real broker and S3, the job
 * planner, a worker running the demo checkpoint, the progress topology and the shard writer; the outputs are read back
 * from S3. (Crashes of workers and sinks are {@link BucketJobCrashIT}'s.)
 */
@ExtendWith(SharedInfrastructure.class)
class BucketJobIT {

    private static final int SHARD_RECORDS = 4;
    private static final String GROUP = "jobs-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path modelDir;
    @TempDir
    static Path stateDir;

    private static LocalPipeline pipeline;
    private static BucketFixtures fixtures;
    private static String bucket;

    @BeforeAll
    static void startPipeline() throws IOException {
        DemoCheckpoint.write(modelDir);
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("TAKEOFF_CONSUMER_GROUP", GROUP);
        env.put("TAKEOFF_MAX_BATCH_SIZE", "2");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "3");
        env.put("KAPTION_JOB_SHARD_RECORDS", Integer.toString(SHARD_RECORDS));
        env.put("KAPTION_JOB_PLAN_PAGE_SIZE", "5");
        env.put("KAPTION_SINK_STATE_DIR", stateDir.toString());
        System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        pipeline = LocalPipeline.start(env, SharedInfrastructure.kafkaBootstrapServers(),
                SharedInfrastructure.s3Endpoint());
        fixtures = new BucketFixtures();
        fixtures.awaitReady(pipeline.ingestPort());
        bucket = "jobs-" + UUID.randomUUID().toString().substring(0, 8);
        fixtures.createBucket(bucket);
    }

    @AfterAll
    static void stopPipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void aPrefixOfImagesBecomesResultAndErrorLinesThatCoverEveryObjectOnce() throws Exception {
        List<String> images = fixtures.putImages(bucket, "mixed/", 9);
        fixtures.put(bucket, "mixed/broken.jpg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3, 4},
                "image/jpeg");
        fixtures.put(bucket, "mixed/notes.txt", "not an image".getBytes(UTF_8), "text/plain");
        fixtures.put(bucket, "mixed/folder/", new byte[0], "application/x-directory");

        String jobId = fixtures.submit(pipeline.ingestPort(),
                job("s3://" + bucket + "/mixed/", "s3://" + bucket + "/out/", GROUP, 6));
        JsonNode status = fixtures.awaitJob(pipeline.ingestPort(), jobId, BucketFixtures::terminal);

        assertThat(status.get("state").asText()).isEqualTo("partially_completed");
        assertThat(status.get("counts").toString())
                .isEqualTo("{\"total\":11,\"planned\":11,\"completed\":9,\"failed\":2}");
        Map<String, String> outputs = fixtures.outputs(bucket, "out/", jobId);
        assertThat(outputs.keySet()).containsExactly("errors-00000.jsonl", "manifest.json", "results-00000.jsonl",
                "results-00001.jsonl", "results-00002.jsonl");

        List<JsonNode> results = lines(outputs, "results");
        List<JsonNode> errors = lines(outputs, "errors");
        assertThat(results).extracting(line -> line.get("record_id").asText())
                .containsExactlyInAnyOrderElementsOf(images);
        assertThat(errors).extracting(line -> line.get("record_id").asText())
                .containsExactlyInAnyOrder("mixed/broken.jpg", "mixed/notes.txt");
        long promptTokens = 0;
        long completionTokens = 0;
        for (JsonNode line : results) {
            assertThat(fieldNames(line)).containsExactly("record_id", "image_url", "text", "finish_reason", "usage",
                    "request_id");
            assertThat(line.get("image_url").asText()).isEqualTo("s3://" + bucket + "/" + line.get("record_id").asText());
            assertThat(line.get("text").asText()).isNotEmpty();
            promptTokens += line.get("usage").get("prompt_tokens").asLong();
            completionTokens += line.get("usage").get("completion_tokens").asLong();
        }
        for (JsonNode line : errors) {
            assertThat(fieldNames(line)).containsExactly("record_id", "image_url", "error", "request_id");
            assertThat(line.get("error").get("code").asText()).matches("[a-z_]+");
            assertThat(line.get("error").get("message").asText()).isNotEmpty();
        }

        JsonNode manifest = JSON.readTree(outputs.get("manifest.json"));
        assertThat(manifest.get("job_id").asText()).isEqualTo(jobId);
        assertThat(manifest.get("state").asText()).isEqualTo("partially_completed");
        assertThat(manifest.get("counts").toString()).isEqualTo("{\"total\":11,\"completed\":9,\"failed\":2}");
        assertThat(manifest.get("usage").get("prompt_tokens").asLong()).isEqualTo(promptTokens);
        assertThat(manifest.get("usage").get("completion_tokens").asLong()).isEqualTo(completionTokens);
        String base = "s3://" + bucket + "/out/" + jobId + "/";
        assertThat(manifest.get("results")).extracting(JsonNode::asText).containsExactly(
                base + "results-00000.jsonl", base + "results-00001.jsonl", base + "results-00002.jsonl");
        assertThat(manifest.get("errors")).extracting(JsonNode::asText).containsExactly(base + "errors-00000.jsonl");
        assertThat(status.get("manifest_uri").asText()).isEqualTo(base + "manifest.json");
        assertThat(status.get("usage").get("prompt_tokens").asLong()).isEqualTo(promptTokens);
    }

    @Test
    void aJsonlManifestJobUsesEachLinesIdAndOwnFields() throws Exception {
        List<String> images = fixtures.putImages(bucket, "manifest-images/", 3);
        String manifest = String.join("\n",
                "{\"custom_id\": \"first\", \"image_url\": \"s3://" + bucket + "/" + images.get(0) + "\"}",
                "{\"recordId\": \"second\", \"image_url\": \"s3://" + bucket + "/" + images.get(1)
                        + "\", \"text\": \"What colour dominates?\", \"max_new_tokens\": 3}",
                "",
                "{\"record_id\": \"third\", \"image_url\": \"s3://" + bucket + "/" + images.get(2) + "\"}",
                "not json at all") + "\n";
        fixtures.put(bucket, "manifests/m.jsonl", manifest.getBytes(UTF_8), "application/jsonl");

        String jobId = fixtures.submit(pipeline.ingestPort(),
                job("s3://" + bucket + "/manifests/m.jsonl", "s3://" + bucket + "/manifest-out", GROUP, 6));
        JsonNode status = fixtures.awaitJob(pipeline.ingestPort(), jobId, BucketFixtures::terminal);

        assertThat(status.get("state").asText()).isEqualTo("partially_completed");
        assertThat(status.get("input_format").asText()).isEqualTo("jsonl");
        Map<String, String> outputs = fixtures.outputs(bucket, "manifest-out/", jobId);
        assertThat(lines(outputs, "results")).extracting(line -> line.get("record_id").asText())
                .containsExactlyInAnyOrder("first", "second", "third");
        assertThat(lines(outputs, "results")).filteredOn(line -> line.get("record_id").asText().equals("second"))
                .singleElement()
                .satisfies(line -> assertThat(line.get("usage").get("completion_tokens").asInt()).isLessThanOrEqualTo(3));
        assertThat(lines(outputs, "errors")).singleElement().satisfies(line -> {
            assertThat(line.get("record_id").asText()).isEqualTo("line-5");
            assertThat(line.get("error").get("code").asText()).isEqualTo("invalid_record");
        });
    }

    @Test
    void resubmittingWithTheSameClientTokenDoesNotRunTheJobTwice() throws Exception {
        fixtures.putImages(bucket, "token/", 3);
        ObjectNode job = job("s3://" + bucket + "/token/", "s3://" + bucket + "/token-out/", GROUP, 4);
        job.put("client_token", "nightly-" + UUID.randomUUID());

        String jobId = fixtures.submit(pipeline.ingestPort(), job);
        HttpResponse<String> again = fixtures.post(pipeline.ingestPort(), "/v1/jobs", job.toString());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("job_id").asText()).isEqualTo(jobId);
        JsonNode status = fixtures.awaitJob(pipeline.ingestPort(), jobId, BucketFixtures::terminal);
        HttpResponse<String> afterTheEnd = fixtures.post(pipeline.ingestPort(), "/v1/jobs", job.toString());
        assertThat(afterTheEnd.statusCode()).isEqualTo(200);

        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("counts").get("total").asInt()).isEqualTo(3);
        assertThat(requestIdsOnTheBulkLane(jobId)).as("one request per object, planned once").hasSize(3)
                .doesNotHaveDuplicates();
        assertThat(lines(fixtures.outputs(bucket, "token-out/", jobId), "results")).hasSize(3);
    }

    @Test
    void anInteractiveRequestDuringALargeJobCompletesWhileTheJobIsStillRunning() throws Exception {
        fixtures.putImages(bucket, "large/", 80);
        String jobId = fixtures.submit(pipeline.ingestPort(),
                job("s3://" + bucket + "/large/", "s3://" + bucket + "/large-out/", GROUP, 24));
        fixtures.awaitJob(pipeline.ingestPort(), jobId, status -> completed(status) >= 2);

        HttpResponse<String> interactive = fixtures.post(pipeline.ingestPort(), "/generate",
                "{\"text\": \"Say something.\", \"max_new_tokens\": 4, \"consumer_group\": \"" + GROUP + "\"}");
        JsonNode during = fixtures.get(pipeline.ingestPort(), "/v1/jobs/" + jobId);

        assertThat(interactive.statusCode()).as(interactive.body()).isEqualTo(200);
        assertThat(JSON.readTree(interactive.body()).get("text").asText()).isNotEmpty();
        assertThat(terminal(during)).as("the job is still running: %s", during).isFalse();
        assertThat(completed(during)).isLessThan(80);

        // Cancelling stops the rest of the job and reports it; what had finished keeps its lines.
        HttpResponse<String> cancel = fixtures.post(pipeline.ingestPort(), "/v1/jobs/" + jobId + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        JsonNode end = fixtures.awaitJob(pipeline.ingestPort(), jobId, BucketFixtures::terminal);
        assertThat(end.get("state").asText()).isEqualTo("cancelled");
        JsonNode counts = end.get("counts");
        assertThat(counts.get("completed").asLong() + counts.get("failed").asLong())
                .isEqualTo(counts.get("total").asLong()).isEqualTo(counts.get("planned").asLong());
        Map<String, String> outputs = fixtures.outputs(bucket, "large-out/", jobId);
        assertThat(JSON.readTree(outputs.get("manifest.json")).get("state").asText()).isEqualTo("cancelled");
        List<JsonNode> errors = lines(outputs, "errors");
        assertThat(errors).hasSize((int) counts.get("failed").asLong())
                .allSatisfy(line -> assertThat(line.get("error").get("code").asText()).isEqualTo("cancelled"));
        assertThat(lines(outputs, "results")).hasSize((int) counts.get("completed").asLong());
        assertThat(counts.get("failed").asLong()).as("some records never ran").isPositive();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The request ids of {@code jobId} on the group's bulk lane, committed transactions only. */
    private static List<String> requestIdsOnTheBulkLane(String jobId) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> ids = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.bulkRequests(GROUP)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key().startsWith(jobId + "-")) {
                        ids.add(record.key());
                    }
                }
            }
        }
        return ids;
    }
}
