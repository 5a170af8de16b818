package io.kaption.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.serde.ContractCodec;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming path end to end: real HTTP into the ingest service, the real broker, a real worker running the demo
 * LLaVA checkpoint, and the result sink; every answer is compared with what the engine itself produces for the same
 * request on the same checkpoint.
 */
@ExtendWith(SharedInfrastructure.class)
class StreamingPathIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path modelDir;

    private static LocalPipeline pipeline;
    private static LlavaPipeline engine;
    private static HttpClient http;
    private static byte[] png;

    @BeforeAll
    static void startPipeline() throws IOException {
        DemoCheckpoint.write(modelDir);
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "3");
        env.put("KAPTION_SINK_STATE_DIR", modelDir.resolve("sink-state").toString());
        LocalPipeline.useDummyCredentialsUnlessConfigured(env);
        pipeline = LocalPipeline.start(env, SharedInfrastructure.kafkaBootstrapServers(),
                SharedInfrastructure.s3Endpoint());
        engine = LlavaPipeline.load(modelDir, LlavaPipeline.Options.DEFAULTS);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        png = gradientPng();
    }

    @AfterAll
    static void stopPipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void imageGenerateStreamSendsTheEnginesTokens() throws Exception {
        String prompt = "What is in this picture?";
        HttpResponse<String> response = send(multipart("/image_generate_stream",
                "{\"text\": \"" + prompt + "\", \"max_new_tokens\": 12}"), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        List<JsonNode> events = dataEvents(response.body());
        assertThat(events).isNotEmpty().allSatisfy(event -> {
            assertThat(event.get("batch_id").asInt()).isZero();
            assertThat(event.get("text").asText()).isNotEmpty();
        });
        assertThat(concatenated(events, 0)).isEqualTo(engineText(prompt, png, 12));
    }

    @Test
    void imageGenerateAnswersWithTheEnginesText() throws Exception {
        String prompt = "Describe the image.";
        HttpResponse<String> response = send(multipart("/image_generate",
                "{\"text\": \"" + prompt + "\", \"max_new_tokens\": 10}"), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()))
                .isEqualTo(JSON.createObjectNode().put("text", engineText(prompt, png, 10)));
    }

    @Test
    void aTextListStreamsEachPromptUnderItsBatchId() throws Exception {
        List<String> prompts = List.of("Name a colour.", "Count to three.");
        HttpResponse<String> response = send(json("/generate_stream",
                "{\"text\": [\"" + prompts.get(0) + "\", \"" + prompts.get(1) + "\"], \"max_new_tokens\": 8}"),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> events = dataEvents(response.body());
        assertThat(events).extracting(event -> event.get("batch_id").asInt()).containsOnly(0, 1);
        for (int batchId = 0; batchId < prompts.size(); batchId++) {
            assertThat(concatenated(events, batchId)).isEqualTo(engineText(prompts.get(batchId), null, 8));
        }
    }

    @Test
    void openAiChatCompletionWithABase64Image() throws Exception {
        String prompt = "What colour dominates?";
        HttpResponse<String> response = send(json("/v1/chat/completions", chatBody(prompt, false)),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode completion = JSON.readTree(response.body());
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.get("id").asText()).startsWith("chatcmpl-");
        assertThat(completion.get("model").asText()).isEqualTo("primary");
        assertThat(completion.get("created").asLong()).isPositive();
        JsonNode choice = completion.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        LlavaPipeline.Result expected = engineResult(prompt, png, 9);
        assertThat(choice.get("message").get("content").asText()).isEqualTo(expected.text());
        assertThat(choice.get("finish_reason").asText())
                .isEqualTo(expected.finishReason().name().equals("EOS") ? "stop" : "length");
        JsonNode usage = completion.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(expected.promptTokens());
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(expected.completionTokens());
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(expected.promptTokens() + expected.completionTokens());
    }

    @Test
    void openAiStreamingChunksThenDone() throws Exception {
        String prompt = "What colour dominates?";
        HttpResponse<String> response = send(json("/v1/chat/completions", chatBody(prompt, true)),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> payloads = dataPayloads(response.body());
        assertThat(payloads).last().isEqualTo("[DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (String payload : payloads.subList(0, payloads.size() - 1)) {
            chunks.add(JSON.readTree(payload));
        }
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.get("id").asText()).isEqualTo(chunks.get(0).get("id").asText());
        });
        assertThat(chunks.get(0).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        StringBuilder content = new StringBuilder();
        for (JsonNode chunk : chunks) {
            JsonNode delta = chunk.get("choices").get(0).get("delta");
            if (delta.has("content")) {
                content.append(delta.get("content").asText());
            }
        }
        LlavaPipeline.Result expected = engineResult(prompt, png, 9);
        assertThat(content.toString()).isEqualTo(expected.text());
        JsonNode last = chunks.get(chunks.size() - 1).get("choices").get(0);
        assertThat(last.get("finish_reason").asText())
                .isEqualTo(expected.finishReason().name().equals("EOS") ? "stop" : "length");
    }

    @Test
    void theSinkResumesAfterLastEventIdWithoutLosingOrRepeatingTokens() throws Exception {
        String prompt = "Tell a long story.";
        HttpResponse<String> submitted = send(json("/v1/requests",
                "{\"text\": \"" + prompt + "\", \"max_new_tokens\": 24, \"min_new_tokens\": 24}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).isEqualTo(202);
        JsonNode accepted = JSON.readTree(submitted.body());
        String requestId = accepted.get("request_id").asText();
        URI eventsUrl = URI.create(accepted.get("events_url").asText());
        assertThat(eventsUrl.getPath()).isEqualTo("/v1/requests/" + requestId + "/events");

        // Read a few token events, then drop the connection as a flaky network would.
        List<SseEvent> firstPart = new ArrayList<>();
        HttpResponse<InputStream> stream = send(HttpRequest.newBuilder(eventsUrl).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), UTF_8))) {
            while (firstPart.size() < 5) {
                SseEvent event = SseEvent.read(reader).orElseThrow();
                if (event.name().equals("token")) {
                    firstPart.add(event);
                }
            }
        }
        String lastEventId = firstPart.get(firstPart.size() - 1).id();

        HttpResponse<String> resumed = send(HttpRequest.newBuilder(eventsUrl)
                .header("Last-Event-ID", lastEventId).GET().build(), HttpResponse.BodyHandlers.ofString());
        List<SseEvent> rest = SseEvent.readAll(resumed.body());
        List<SseEvent> tokens = new ArrayList<>(firstPart);
        rest.stream().filter(event -> event.name().equals("token")).forEach(tokens::add);
        assertThat(rest).last().satisfies(event -> assertThat(event.name()).isEqualTo("result"));

        assertThat(tokens).extracting(SseEvent::id).doesNotHaveDuplicates();
        assertThat(tokens).extracting(event -> Long.parseLong(event.id())).isSorted();
        StringBuilder text = new StringBuilder();
        for (SseEvent token : tokens) {
            text.append(JSON.readTree(token.data()).get("text").asText());
        }
        String expected = engineResult(prompt, null, SamplingParams.greedy(24).withMinNewTokens(24)).text();
        assertThat(text.toString()).isEqualTo(expected);
        JsonNode result = JSON.readTree(rest.get(rest.size() - 1).data());
        assertThat(result.get("text").asText()).isEqualTo(expected);

        HttpResponse<String> lookedUp = send(HttpRequest.newBuilder(URI.create(accepted.get("result_url").asText()
                + "?wait=30")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(lookedUp.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(lookedUp.body()).get("text").asText()).isEqualTo(expected);
    }

    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        String requestId = "e2e-cancel-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> results = tailOf(Topics.RESULTS);
             KafkaConsumer<String, byte[]> cancellations = tailOf(Topics.CANCELLATIONS)) {
            HttpResponse<InputStream> response = send(HttpRequest.newBuilder(ingest("/generate_stream"))
                    .header("Content-Type", "application/json")
                    .header("X-Request-Id", requestId)
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"text\": \"Go on forever.\", \"max_new_tokens\": 4000, \"min_new_tokens\": 4000}"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), UTF_8))) {
                assertThat(SseEvent.read(reader)).isPresent(); // generation is under way
            }

            Cancellation cancellation = ContractCodec.CANCELLATIONS.decode(awaitValue(cancellations, requestId));
            assertThat(cancellation).isEqualTo(new Cancellation(requestId, "client_disconnected"));
            GenerationResult result = ContractCodec.RESULTS.decode(awaitValue(results, requestId));
            assertThat(result.error().code()).isEqualTo(Cancellation.ERROR_CODE);
        }
    }

    @Test
    void aRecordWrittenStraightToKafkaIsAnsweredAndAPoisonRecordIsDeadLettered() throws Exception {
        String topic = Topics.requests(Topics.DEFAULT_CONSUMER_GROUP);
        String requestId = "e2e-kcat-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> deadLetters = tailOf(Topics.dlq(topic));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers()),
                     new StringSerializer(), new StringSerializer())) {
            // What `kcat -P -t kaption.requests.primary -k <id>` sends: a key and a hand-written JSON value.
            producer.send(new ProducerRecord<>(topic, "e2e-poison", "{\"request_id\": \"e2e-poison\"")).get();
            producer.send(new ProducerRecord<>(topic, requestId, "{\"request_id\": \"" + requestId
                    + "\", \"text\": \"Hello\", \"max_new_tokens\": 6, \"use_chat_template\": false}")).get();

            ConsumerRecord<String, byte[]> parked = awaitRecord(deadLetters, "e2e-poison");
            assertThat(new String(parked.value(), UTF_8)).isEqualTo("{\"request_id\": \"e2e-poison\"");
            assertThat(parked.headers().lastHeader(DeadLetterHeaders.REASON)).isNotNull();

            HttpResponse<String> result = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + pipeline.sinkPort() + "/v1/requests/" + requestId + "?wait=60")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(result.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(result.body());
            assertThat(body.get("request_id").asText()).isEqualTo(requestId);
            assertThat(body.get("text").asText()).isEqualTo(engineResult("Hello", null,
                    SamplingParams.greedy(6), false).text());
        }
    }

    // --- the engine's own answers -------------------------------------------------------------------------------

    private static String engineText(String prompt, byte[] image, int maxNewTokens) {
        return engineResult(prompt, image, maxNewTokens).text();
    }

    private static LlavaPipeline.Result engineResult(String prompt, byte[] image, int maxNewTokens) {
        return engineResult(prompt, image, SamplingParams.greedy(maxNewTokens));
    }

    private static LlavaPipeline.Result engineResult(String prompt, byte[] image, SamplingParams params) {
        return engineResult(prompt, image, params, true);
    }

    private static LlavaPipeline.Result engineResult(String prompt, byte[] image, SamplingParams params,
                                                     boolean chatTemplate) {
        synchronized (engine) {
            return engine.generate(List.of(new LlavaPipeline.Request(prompt, chatTemplate, image, params)),
                    LlavaPipeline.Listener.NONE).get(0);
        }
    }

    // --- HTTP ---------------------------------------------------------------------------------------------------

    /** Sends and waits for the response at most {@link #WAIT}: a pipeline that never answers fails the test. */
    private static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) throws Exception {
        return http.sendAsync(request, body).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static URI ingest(String path) {
        return URI.create("http://127.0.0.1:" + pipeline.ingestPort() + path);
    }

    private static HttpRequest json(String path, String body) {
        return HttpRequest.newBuilder(ingest(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** What Takeoff's Python example sends: {@code data={"json_data": ...}, files={"image_data": ...}}. */
    private static HttpRequest multipart(String path, String jsonData) throws IOException {
        String boundary = "kaption-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"json_data\"\r\n\r\n" + jsonData
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"image_data\"; "
                + "filename=\"gradient.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(UTF_8));
        body.write(png);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(UTF_8));
        return HttpRequest.newBuilder(ingest(path))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
    }

    private static String chatBody(String prompt, boolean stream) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "primary");
        body.put("max_tokens", 9);
        body.put("temperature", 0); // OpenAI samples by default; greedy makes the answer comparable
        body.put("stream", stream);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        var content = message.putArray("content");
        content.addObject().put("type", "text").put("text", prompt);
        content.addObject().put("type", "image_url").putObject("image_url")
                .put("url", "data:image/png;base64," + Base64.getEncoder().encodeToString(png));
        return body.toString();
    }

    private static List<String> dataPayloads(String sse) {
        return SseEvent.readAll(sse).stream().map(SseEvent::data).toList();
    }

    private static List<JsonNode> dataEvents(String sse) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (SseEvent event : SseEvent.readAll(sse)) {
            assertThat(event.name()).as("event %s", event).isEqualTo("message");
            events.add(JSON.readTree(event.data()));
        }
        return events;
    }

    private static String concatenated(List<JsonNode> events, int batchId) {
        StringBuilder text = new StringBuilder();
        events.stream().filter(event -> event.get("batch_id").asInt() == batchId)
                .forEach(event -> text.append(event.get("text").asText()));
        return text.toString();
    }

    /** One server-sent event: its id (or null), name ({@code message} when none is given) and data. */
    record SseEvent(String id, String name, String data) {

        static Optional<SseEvent> read(BufferedReader reader) throws IOException {
            String id = null;
            String name = "message";
            StringBuilder data = null;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return Optional.of(new SseEvent(id, name, data.toString()));
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> name = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { }
                }
            }
            return Optional.empty();
        }

        static List<SseEvent> readAll(String sse) {
            List<SseEvent> events = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new java.io.StringReader(sse))) {
                for (Optional<SseEvent> event = read(reader); event.isPresent(); event = read(reader)) {
                    events.add(event.get());
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return events;
        }
    }

    // --- Kafka --------------------------------------------------------------------------------------------------

    /** A consumer of every partition of {@code topic} from its current end. */
    private static KafkaConsumer<String, byte[]> tailOf(String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    private static ConsumerRecord<String, byte[]> awaitRecord(KafkaConsumer<String, byte[]> consumer, String key) {
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (key.equals(record.key())) {
                    found.add(record);
                }
            }
            return !found.isEmpty();
        });
        return found.get(0);
    }

    private static byte[] awaitValue(KafkaConsumer<String, byte[]> consumer, String key) {
        return awaitRecord(consumer, key).value();
    }

    private static byte[] gradientPng() throws IOException {
        BufferedImage image = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, (x * 3) << 16 | (y * 4) << 8 | 128);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
