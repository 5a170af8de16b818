package io.kaption.local.batches;

import static io.kaption.local.batches.BatchClient.JSON;
import static io.kaption.local.batches.BatchClient.chatBody;
import static io.kaption.local.batches.BatchClient.line;
import static io.kaption.local.batches.BatchClient.pngDataUrl;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.local.LocalPipeline;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.kit.s3.S3Clients;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The OpenAI Files and Batch APIs end to end on one pipeline in this JVM (real HTTP, broker, S3, planner, a worker on
 * the demo checkpoint, progress topology, shard writer): upload → create → poll → output and error files, compared
 * with the live {@code /v1/chat/completions} answers; validation, cancel and expiry.
 */
@ExtendWith(SharedInfrastructure.class)
class BatchApiIT {

    private static final String GROUP = "batches-" + UUID.randomUUID().toString().substring(0, 8);
    private static final int MAX_FILE_BYTES = 4_000_000;

    @TempDir
    static Path modelDir;
    @TempDir
    static Path stateDir;

    private static LocalPipeline pipeline;
    private static Map<String, String> env;
    private static BatchClient client;
    private static S3Client s3;
    private static String imageBucket;

    @BeforeAll
    static void startPipeline() throws IOException {
        DemoCheckpoint.write(modelDir);
        env = new HashMap<>();
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("TAKEOFF_CONSUMER_GROUP", GROUP);
        env.put("TAKEOFF_MAX_BATCH_SIZE", "2");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "3");
        env.put("KAPTION_JOB_SHARD_RECORDS", "2");
        env.put("KAPTION_JOB_PLAN_PAGE_SIZE", "5");
        env.put("KAPTION_SINK_STATE_DIR", stateDir.toString());
        env.put("KAPTION_FILES_URI", "s3://files-" + UUID.randomUUID().toString().substring(0, 8) + "/kaption");
        env.put("KAPTION_FILES_MAX_BYTES", Integer.toString(MAX_FILE_BYTES));
        System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        pipeline = LocalPipeline.start(env, SharedInfrastructure.kafkaBootstrapServers(),
                SharedInfrastructure.s3Endpoint());
        client = new BatchClient(pipeline.ingestPort());
        client.awaitReady();
        client.awaitWorkerConsuming(GROUP);
        s3 = S3Clients.create(Optional.of(SharedInfrastructure.s3Endpoint()), EmbeddedS3.REGION.id());
        imageBucket = "batch-images-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(imageBucket));
        s3.putObject(b -> b.bucket(imageBucket).key("cat.png").contentType("image/png"),
                RequestBody.fromBytes(BatchClient.png(3)));
    }

    @AfterAll
    static void stopPipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void aBatchAnswersEachLineOnceAndItsCompletionsAreTheLiveEndpointsAnswers() throws Exception {
        String s3Image = "s3://" + imageBucket + "/cat.png";
        ObjectNode twoChoices = line("e", GROUP, "Hello", 4);
        ((ObjectNode) twoChoices.get("body")).put("n", 2);
        ObjectNode wrongUrl = line("f", GROUP, "Hello", 4).put("url", "/v1/embeddings");
        List<ObjectNode> lines = List.of(
                line("a", GROUP, "Describe the image.", 8, pngDataUrl(1)),
                line("b", GROUP, "What is a cat?", 8),
                line("c", GROUP, "Compare the two images.", 8, pngDataUrl(2), pngDataUrl(3)),
                line("g", GROUP, "Describe the image.", 8, s3Image),
                // Larger than a Kafka record as a data: URL: claim-checked to S3 at validation, like a live request's.
                line("h", GROUP, "Describe the image.", 8, BatchClient.noisePngDataUrl(640, 640)),
                line("d", GROUP, "Describe the image.", 8, "s3://" + imageBucket + "/missing.png"),
                twoChoices,
                wrongUrl);
        String fileId = client.uploadBatchFile(lines);

        JsonNode created = client.createBatch(fileId);
        assertThat(created.get("id").asText()).startsWith("batch_");
        assertThat(created.get("object").asText()).isEqualTo("batch");
        assertThat(created.get("status").asText()).isEqualTo("in_progress");
        assertThat(created.get("input_file_id").asText()).isEqualTo(fileId);
        assertThat(created.get("metadata").toString()).isEqualTo("{\"purpose\":\"test\"}");
        assertThat(created.has("kaption")).as("internal fields stay internal").isFalse();
        assertThat(created.get("expires_at").asLong() - created.get("created_at").asLong()).isEqualTo(24 * 3600);

        JsonNode batch = client.awaitBatch(created.get("id").asText(), BatchClient::ended);
        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(batch.get("request_counts").toString()).isEqualTo("{\"total\":8,\"completed\":5,\"failed\":3}");
        assertThat(batch.get("completed_at").isNull()).isFalse();
        assertThat(batch.get("finalizing_at").isNull()).isFalse();

        List<JsonNode> output = client.fileLines(batch.get("output_file_id"));
        List<JsonNode> errors = client.fileLines(batch.get("error_file_id"));
        assertThat(Stream.concat(output.stream(), errors.stream()).map(l -> l.get("custom_id").asText()))
                .containsExactlyInAnyOrder("a", "b", "c", "d", "e", "f", "g", "h");
        assertThat(output).extracting(l -> l.get("custom_id").asText())
                .containsExactlyInAnyOrder("a", "b", "c", "g", "h");
        for (JsonNode line : output) {
            assertThat(line.get("id").asText()).matches("batch_req_[0-9a-f]{32}");
            assertThat(line.get("error").isNull()).isTrue();
            assertThat(line.get("response").get("status_code").asInt()).isEqualTo(200);
            JsonNode completion = line.get("response").get("body");
            assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
            assertThat(completion.get("model").asText()).isEqualTo(GROUP);
            assertThat(completion.get("id").asText())
                    .isEqualTo("chatcmpl-" + line.get("response").get("request_id").asText());
            if (line.get("custom_id").asText().equals("g")) {
                continue; // s3:// images are for batch lines (read by the worker); the live endpoint takes none
            }
            // Greedy: the live endpoint answers the same body with the same message, finish reason and usage.
            ObjectNode body = (ObjectNode) lines.stream()
                    .filter(l -> l.get("custom_id").asText().equals(line.get("custom_id").asText()))
                    .findFirst().orElseThrow().get("body");
            JsonNode live = client.ok("POST", "/v1/chat/completions", body.toString());
            assertThat(completion.get("choices").toString()).isEqualTo(live.get("choices").toString());
            assertThat(completion.get("usage").toString()).isEqualTo(live.get("usage").toString());
            assertThat(fieldNames(completion)).isEqualTo(fieldNames(live));
        }
        Map<String, JsonNode> byId = new HashMap<>();
        errors.forEach(line -> byId.put(line.get("custom_id").asText(), line));
        assertThat(byId.get("d").get("response").get("status_code").asInt()).isEqualTo(400);
        assertThat(byId.get("d").get("response").get("body").get("error").get("code").asText())
                .isEqualTo("image_unavailable");
        assertThat(byId.get("e").get("response").get("body").get("error").get("code").asText())
                .isEqualTo("unsupported_parameter");
        assertThat(byId.get("f").get("response").get("body").get("error").get("code").asText())
                .isEqualTo("invalid_url");

        JsonNode outputFile = client.ok("GET", "/v1/files/" + batch.get("output_file_id").asText(), null);
        assertThat(outputFile.get("purpose").asText()).isEqualTo("batch_output");
        // Asking again changes nothing: the batch has ended and its files are where they were.
        JsonNode again = client.ok("GET", "/v1/batches/" + batch.get("id").asText(), null);
        assertThat(again).isEqualTo(batch);
    }

    @Test
    void aDuplicateCustomIdFailsTheBatchAtValidation() throws Exception {
        String fileId = client.uploadBatchFile(List.of(line("x", GROUP, "Hi", 4), line("x", GROUP, "Hi again", 4)));

        JsonNode batch = client.createBatch(fileId);

        assertThat(batch.get("status").asText()).isEqualTo("failed");
        JsonNode error = batch.get("errors").get("data").get(0);
        assertThat(error.get("code").asText()).isEqualTo("duplicate_custom_id");
        assertThat(error.get("line").asInt()).isEqualTo(2);
        assertThat(batch.get("output_file_id").isNull()).isTrue();
        assertThat(client.ok("GET", "/v1/batches/" + batch.get("id").asText(), null).get("status").asText())
                .isEqualTo("failed");
    }

    @Test
    void filesAreUploadedListedReadAndDeletedInOpenAisShapes() throws Exception {
        byte[] content = (line("q", GROUP, "Hi", 4) + "\n").getBytes(UTF_8);
        JsonNode first = JSON.readTree(client.upload("first.jsonl", content, "batch").body());
        JsonNode second = JSON.readTree(client.upload("second.jsonl", content, "batch").body());
        assertThat(second.get("id").asText()).startsWith("file-");
        assertThat(second.get("object").asText()).isEqualTo("file");
        assertThat(second.get("bytes").asLong()).isEqualTo(content.length);
        assertThat(second.get("filename").asText()).isEqualTo("second.jsonl");
        assertThat(second.get("purpose").asText()).isEqualTo("batch");

        assertThat(client.ok("GET", "/v1/files/" + first.get("id").asText(), null)).isEqualTo(first);
        HttpResponse<String> read = client.send("GET", "/v1/files/" + first.get("id").asText() + "/content", null);
        assertThat(read.body()).isEqualTo(new String(content, UTF_8));
        JsonNode page = client.ok("GET", "/v1/files?limit=1&purpose=batch", null);
        assertThat(page.get("data").get(0).get("created_at").asLong())
                .isGreaterThanOrEqualTo(first.get("created_at").asLong());
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = client.ok("GET", "/v1/files?limit=1&after=" + page.get("last_id").asText(), null);
        assertThat(next.get("data").get(0).get("id").asText()).isNotEqualTo(page.get("last_id").asText());

        HttpResponse<String> fineTune = client.upload("x.jsonl", content, "fine-tune");
        assertThat(fineTune.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(fineTune.body()).get("error").get("code").asText()).isEqualTo("invalid_purpose");
        HttpResponse<String> tooLarge = client.upload("big.jsonl", new byte[MAX_FILE_BYTES + 1], "batch");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(tooLarge.body()).get("error").get("code").asText()).isEqualTo("file_too_large");

        JsonNode deleted = client.ok("DELETE", "/v1/files/" + first.get("id").asText(), null);
        assertThat(deleted.toString()).isEqualTo("{\"id\":\"" + first.get("id").asText()
                + "\",\"object\":\"file\",\"deleted\":true}");
        assertThat(client.send("GET", "/v1/files/" + first.get("id").asText(), null).statusCode()).isEqualTo(404);
    }

    @Test
    void aCancelledBatchEndsCancelledWithEveryRequestOnce() throws Exception {
        List<ObjectNode> lines = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            lines.add(line("req-" + i, GROUP, "Describe the image in detail.", 48, pngDataUrl(i)));
        }
        String batchId = client.createBatch(client.uploadBatchFile(lines)).get("id").asText();

        JsonNode cancelling = client.ok("POST", "/v1/batches/" + batchId + "/cancel", null);
        assertThat(cancelling.get("status").asText()).isIn("cancelling", "finalizing");
        assertThat(cancelling.get("cancelling_at").isNull()).isFalse();

        JsonNode batch = client.awaitBatch(batchId, BatchClient::ended);
        assertThat(batch.get("status").asText()).isEqualTo("cancelled");
        assertEveryRequestOnce(batch, lines, "batch_cancelled");
        assertThat(client.send("POST", "/v1/batches/" + batchId + "/cancel", null).statusCode()).isEqualTo(409);
    }

    @Test
    void aBatchNotDoneWithinItsWindowEndsExpiredWithWhatCompleted() throws Exception {
        Map<String, String> shortWindow = new HashMap<>(env);
        shortWindow.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", SharedInfrastructure.kafkaBootstrapServers());
        shortWindow.put("KAPTION_S3_ENDPOINT", SharedInfrastructure.s3Endpoint().toString());
        shortWindow.put("KAPTION_INGEST_HOST", "127.0.0.1");
        shortWindow.put("KAPTION_INGEST_PLAN_JOBS", "false");
        shortWindow.put("KAPTION_BATCH_WINDOW_SECONDS", "1");
        try (IngestService ingest = IngestService.start(IngestConfig.fromEnvironment(shortWindow))) {
            BatchClient shortClient = new BatchClient(ingest.port());
            shortClient.awaitReady();
            List<ObjectNode> lines = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                lines.add(line("exp-" + i, GROUP, "Describe the image in detail.", 48, pngDataUrl(100 + i)));
            }
            JsonNode created = shortClient.createBatch(shortClient.uploadBatchFile(lines));
            assertThat(created.get("expires_at").asLong() - created.get("created_at").asLong()).isEqualTo(1);

            JsonNode batch = shortClient.awaitBatch(created.get("id").asText(), BatchClient::ended);
            assertThat(batch.get("status").asText()).isEqualTo("expired");
            assertThat(batch.get("expired_at").isNull()).isFalse();
            assertEveryRequestOnce(batch, lines, "batch_expired");
        }
    }

    @Test
    void batchesAreListedNewestFirstWithACursor() throws Exception {
        String fileId = client.uploadBatchFile(List.of(line("l", GROUP, "Hi", 2), line("l", GROUP, "Hi", 2)));
        String older = client.createBatch(fileId).get("id").asText();
        String newer = client.createBatch(fileId).get("id").asText();

        JsonNode page = client.ok("GET", "/v1/batches?limit=1", null);
        assertThat(page.get("object").asText()).isEqualTo("list");
        assertThat(page.get("data").get(0).get("id").asText()).isEqualTo(newer);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = client.ok("GET", "/v1/batches?limit=1&after=" + newer, null);
        assertThat(next.get("data").get(0).get("id").asText()).isEqualTo(older);
        assertThat(client.send("GET", "/v1/batches/batch_nope", null).statusCode()).isEqualTo(404);
    }

    /** Output ∪ error holds each custom id exactly once; the requests that never ran carry {@code notRunCode}. */
    static void assertEveryRequestOnce(JsonNode batch, List<ObjectNode> lines, String notRunCode) throws Exception {
        BatchClient reader = client;
        List<JsonNode> output = reader.fileLines(batch.get("output_file_id"));
        List<JsonNode> errors = reader.fileLines(batch.get("error_file_id"));
        assertThat(Stream.concat(output.stream(), errors.stream()).map(l -> l.get("custom_id").asText()))
                .containsExactlyInAnyOrderElementsOf(lines.stream().map(l -> l.get("custom_id").asText()).toList());
        JsonNode counts = batch.get("request_counts");
        assertThat(counts.get("total").asInt()).isEqualTo(lines.size());
        assertThat(counts.get("completed").asInt()).isEqualTo(output.size());
        assertThat(counts.get("failed").asInt()).isEqualTo(errors.size());
        assertThat(errors).as("requests that never ran").isNotEmpty().allSatisfy(line -> {
            assertThat(line.get("response").isNull()).isTrue();
            assertThat(line.get("error").get("code").asText()).isEqualTo(notRunCode);
        });
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
