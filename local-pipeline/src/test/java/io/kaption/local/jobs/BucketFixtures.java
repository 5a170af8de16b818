package io.kaption.local.jobs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.localstack.junit.SharedInfrastructure;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import javax.imageio.ImageIO;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Buckets of test images, the job API over real HTTP, and the job's output objects read back from S3. */
final class BucketFixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration JOB_WAIT = Duration.ofMinutes(4);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final S3Client s3 = SharedInfrastructure.s3Client();
    private final Random random = new Random(5);

    S3Client s3() {
        return s3;
    }

    void createBucket(String bucket) {
        s3.createBucket(b -> b.bucket(bucket));
    }

    void put(String bucket, String key, byte[] bytes, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
    }

    /** Small images with random gradients, alternately PNG and JPEG, under {@code prefix}; returns their keys. */
    List<String> putImages(String bucket, String prefix, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String format = i % 2 == 0 ? "png" : "jpeg";
            String key = prefix + String.format("img-%04d.%s", i, format.equals("png") ? "png" : "jpg");
            put(bucket, key, image(format, 24 + random.nextInt(40), 24 + random.nextInt(40)), "image/" + format);
            keys.add(key);
        }
        return keys;
    }

    private byte[] image(String format, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int base = random.nextInt(0xFFFFFF);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, base ^ (x * 5) << 16 ^ (y * 7) << 8);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, format, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    HttpResponse<String> post(int port, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** Waits until the ingest service is ready: the job API answers 503 until its directory has read the job topics. */
    void awaitReady(int ingestPort) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingestPort + "/readyz")).GET()
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    /** Submits a job and returns its id. */
    String submit(int ingestPort, ObjectNode job) throws IOException, InterruptedException {
        HttpResponse<String> response = post(ingestPort, "/v1/jobs", job.toString());
        assertThat(response.statusCode()).as("POST /v1/jobs: %s", response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("job_id").asText();
    }

    static ObjectNode job(String input, String output, String group, int maxNewTokens) {
        ObjectNode job = JSON.createObjectNode().put("input", input).put("output", output).put("consumer_group", group);
        job.putObject("template").put("text", "Describe the image.").put("max_new_tokens", maxNewTokens);
        return job;
    }

    /** Polls {@code GET /v1/jobs/{id}} until {@code until} holds, and returns that status. */
    JsonNode awaitJob(int ingestPort, String jobId, Predicate<JsonNode> until) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(JOB_WAIT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> {
                    last[0] = get(ingestPort, "/v1/jobs/" + jobId);
                    return until.test(last[0]);
                });
        return last[0];
    }

    static boolean terminal(JsonNode status) {
        return List.of("completed", "partially_completed", "failed", "cancelled")
                .contains(status.get("state").asText());
    }

    static long completed(JsonNode status) {
        return status.get("counts").get("completed").asLong();
    }

    /** The output objects of a job, by name ({@code results-00000.jsonl}, …, {@code manifest.json}). */
    Map<String, String> outputs(String bucket, String outputPrefix, String jobId) {
        Map<String, String> objects = new LinkedHashMap<>();
        String prefix = outputPrefix + jobId + "/";
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            objects.put(object.key().substring(prefix.length()),
                    s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asString(UTF_8));
        }
        return objects;
    }

    /** Every line of the shards whose names start with {@code kind} ("results" or "errors"), in shard order. */
    static List<JsonNode> lines(Map<String, String> outputs, String kind) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (Map.Entry<String, String> object : outputs.entrySet()) {
            if (object.getKey().startsWith(kind + "-")) {
                for (String line : object.getValue().split("\n")) {
                    lines.add(JSON.readTree(line));
                }
            }
        }
        return lines;
    }
}
