package io.kaption.local.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/** A plain HTTP client of the Files and Batch APIs, as an OpenAI SDK uses them, for the batch ITs. */
final class BatchClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration BATCH_WAIT = Duration.ofMinutes(4);

    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    BatchClient(int port) {
        this.port = port;
    }

    /** Waits until the ingest service is ready (the Batch API answers 503 until its job directory has read). */
    void awaitReady() {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> send("GET", "/readyz", null)
                .statusCode() == 200);
    }

    /**
     * Waits until the ingest's {@code /readyz} reports a consuming worker of {@code group}: until then the group has no
     * request topic and a batch whose lines name it as their {@code model} is routed to {@code primary}.
     */
    void awaitWorkerConsuming(String group) {
        await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> JSON.readTree(
                send("GET", "/readyz", null).body()).path("workers").path(group).path("consuming").asBoolean());
    }

    /** {@code POST /v1/files} as multipart/form-data; returns the response (status and body). */
    HttpResponse<String> upload(String filename, byte[] content, String purpose)
            throws IOException, InterruptedException {
        String boundary = "----kaption" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
                + "\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + filename + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(uri("/v1/files"))
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Uploads a batch input file and returns its id. */
    String uploadBatchFile(List<ObjectNode> lines) throws IOException, InterruptedException {
        StringBuilder jsonl = new StringBuilder();
        lines.forEach(line -> jsonl.append(line).append('\n'));
        HttpResponse<String> response = upload("batch.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8),
                "batch");
        assertThat(response.statusCode()).as("upload: %s", response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("id").asText();
    }

    HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("content-type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode ok(String method, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> response = send(method, path, body);
        assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    JsonNode createBatch(String inputFileId) throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode().put("input_file_id", inputFileId)
                .put("endpoint", "/v1/chat/completions").put("completion_window", "24h");
        request.putObject("metadata").put("purpose", "test");
        return ok("POST", "/v1/batches", request.toString());
    }

    /** Polls {@code GET /v1/batches/{id}} until {@code until} holds. */
    JsonNode awaitBatch(String batchId, Predicate<JsonNode> until) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(BATCH_WAIT).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
            last[0] = ok("GET", "/v1/batches/" + batchId, null);
            return until.test(last[0]);
        });
        return last[0];
    }

    static boolean ended(JsonNode batch) {
        return List.of("completed", "failed", "expired", "cancelled").contains(batch.get("status").asText());
    }

    /** The lines of a file's content; none for a null id. */
    List<JsonNode> fileLines(JsonNode fileId) throws IOException, InterruptedException {
        List<JsonNode> lines = new ArrayList<>();
        if (fileId == null || fileId.isNull()) {
            return lines;
        }
        HttpResponse<String> response = send("GET", "/v1/files/" + fileId.asText() + "/content", null);
        assertThat(response.statusCode()).as("content: %s", response.body()).isEqualTo(200);
        for (String line : response.body().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A batch input line: a greedy chat body with {@code images} as data: or s3:// URLs. */
    static ObjectNode line(String customId, String model, String prompt, int maxTokens, String... images) {
        ObjectNode line = JSON.createObjectNode().put("custom_id", customId).put("method", "POST")
                .put("url", "/v1/chat/completions");
        line.set("body", chatBody(model, prompt, maxTokens, images));
        return line;
    }

    static ObjectNode chatBody(String model, String prompt, int maxTokens, String... images) {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", maxTokens)
                .put("temperature", 0);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String image : images) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", image);
        }
        content.addObject().put("type", "text").put("text", prompt);
        return body;
    }

    /** A small PNG as a data: URL. */
    static String pngDataUrl(int seed) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(seed));
    }

    /** A PNG of random noise: incompressible, so about 3 bytes a pixel. */
    static String noisePngDataUrl(int width, int height) {
        java.util.Random random = new java.util.Random(width * 31L + height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    static byte[] png(int seed) {
        BufferedImage image = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (seed * 7919) ^ (x * 5) << 16 ^ (y * 7) << 8);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
