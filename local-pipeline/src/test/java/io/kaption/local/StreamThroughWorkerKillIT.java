package io.kaption.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.local.StreamingPathIT.SseEvent;
import io.kaption.localstack.junit.ChildJvm;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.sink.ResultSink;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.WorkerMain;
import java.io.BufferedReader;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-visible exactly once: a worker (a child JVM) is killed with SIGKILL while two clients stream one request —
 * Takeoff's {@code /generate_stream} through the ingest service and the sink's {@code /v1/requests/{id}/events}. A new
 * worker generates the request again from the start; both clients still get exactly the uninterrupted answer: every
 * chunk once, in order, no gap, one result, no restart.
 */
@ExtendWith(SharedInfrastructure.class)
class StreamThroughWorkerKillIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Long enough to kill the worker mid-stream; min = max, so the demo model cannot stop early. */
    private static final int TOKENS = 120;
    /** A killed worker's partitions move once its session times out (45 s by default), then the replay runs. */
    private static final Duration WAIT = Duration.ofSeconds(240);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aClientStreamingThroughAWorkerKillSeesEveryTokenOnceAndOneResult() throws Exception {
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        DemoCheckpoint.write(modelDir);
        String group = "kill-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = SharedInfrastructure.serviceEnvironment();
        env.put("KAPTION_TOPIC_PARTITIONS", "1");
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("TAKEOFF_CONSUMER_GROUP", group);
        // One row: the replay runs in the same batch shape as the uninterrupted run, so greedy decoding repeats it.
        env.put("TAKEOFF_MAX_BATCH_SIZE", "1");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "0");
        env.put("KAPTION_SINK_HOST", "127.0.0.1");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_SINK_JOBS", "false");
        env.put("KAPTION_SINK_WRITE_OUTPUTS", "false");
        env.put("KAPTION_INGEST_HOST", "127.0.0.1");
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_INGEST_PLAN_JOBS", "false");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        Path log = dir.resolve("worker.log");

        ChildJvm worker = ChildJvm.start(WorkerMain.class, env, log);
        try (ResultSink sink = ResultSink.start(ResultSinkConfig.fromEnvironment(env));
             IngestService ingest = IngestService.start(IngestConfig.fromEnvironment(env))) {
            // Ready, and the worker consumes the group (the ingest's readiness body says so): a request published
            // before the worker created its group's topic would not be served.
            await().atMost(WAIT).ignoreExceptions().until(() -> JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ingest.port() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).path("workers").path(group).path("consuming")
                    .asBoolean(false));

            // The uninterrupted answer, from the same worker.
            Clients reference = Clients.start(http, ingest.port(), sink.port(), "ref-" + UUID.randomUUID(), group);
            List<SseEvent> expected = reference.sinkEvents.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(reference.takeoff.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNotEmpty();
            List<JsonNode> expectedTokens = tokens(expected);
            assertThat(expectedTokens).hasSizeGreaterThan(20);
            String expectedText = concatenated(expectedTokens);

            String requestId = "kill-" + UUID.randomUUID();
            Clients clients = Clients.start(http, ingest.port(), sink.port(), requestId, group);
            await().atMost(WAIT).until(() -> clients.sinkSoFar.size() >= 10);
            worker.kill();
            int seenAtKill = clients.sinkSoFar.size();
            assertThat(seenAtKill).as("killed mid-stream").isLessThan(expectedTokens.size());
            worker = ChildJvm.start(WorkerMain.class, env, log);

            List<SseEvent> events = clients.sinkEvents.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(events).extracting(SseEvent::name).as("worker log: %s", log)
                    .doesNotContain("restart", "error").endsWith("result")
                    .filteredOn("result"::equals).hasSize(1);
            List<JsonNode> streamed = tokens(events);
            assertThat(streamed).extracting(token -> token.get("index").asInt())
                    .as("no repeat, no gap").containsExactlyElementsOf(
                            expectedTokens.stream().map(token -> token.get("index").asInt()).toList());
            assertThat(streamed).extracting(token -> token.get("text").asText())
                    .containsExactlyElementsOf(expectedTokens.stream().map(token -> token.get("text").asText())
                            .toList());
            assertThat(events).extracting(SseEvent::id).filteredOn(id -> id != null)
                    .extracting(Long::parseLong).isSorted().doesNotHaveDuplicates();
            JsonNode result = JSON.readTree(events.get(events.size() - 1).data());
            assertThat(result.get("text").asText()).isEqualTo(expectedText);

            List<String> takeoffChunks = clients.takeoff.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(takeoffChunks).containsExactlyElementsOf(expectedTokens.stream()
                    .map(token -> token.get("text").asText()).filter(text -> !text.isEmpty()).toList());

            // The kill did make the new worker publish the request's first chunks again, as another attempt.
            List<TokenEvent> published = publishedTokens(requestId);
            assertThat(published.stream().map(TokenEvent::attempt).distinct()).hasSize(2);
            assertThat(published.stream().filter(event -> event.index() == 0)).hasSize(2);
        } finally {
            worker.close();
        }
    }

    private static List<JsonNode> tokens(List<SseEvent> events) throws IOException {
        List<JsonNode> tokens = new ArrayList<>();
        for (SseEvent event : events) {
            if (event.name().equals("token")) {
                tokens.add(JSON.readTree(event.data()));
            }
        }
        return tokens;
    }

    private static String concatenated(List<JsonNode> tokens) {
        StringBuilder text = new StringBuilder();
        tokens.forEach(token -> text.append(token.get("text").asText()));
        return text.toString();
    }

    /** Every kaption.tokens record of the request, from the start of the topic. */
    private static List<TokenEvent> publishedTokens(String requestId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.TOKENS, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(Topics.TOKENS, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<TokenEvent> events = new ArrayList<>();
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (requestId.equals(record.key())) {
                        events.add(ContractCodec.TOKENS.decode(record.value()));
                    }
                }
            }
            return events;
        }
    }

    /** The two clients of one request: the sink's event stream (opened first) and Takeoff's stream that sends it. */
    private record Clients(List<SseEvent> sinkSoFar, CompletableFuture<List<SseEvent>> sinkEvents,
                           CompletableFuture<List<String>> takeoff) {

        static Clients start(HttpClient http, int ingestPort, int sinkPort, String requestId, String group) {
            List<SseEvent> sinkSoFar = new CopyOnWriteArrayList<>();
            CompletableFuture<List<SseEvent>> sinkEvents = http.sendAsync(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + sinkPort + "/v1/requests/" + requestId + "/events")).build(),
                            HttpResponse.BodyHandlers.ofInputStream())
                    .thenApplyAsync(response -> readEvents(response.body(), sinkSoFar));
            String body = "{\"text\": \"Tell me a long story.\", \"max_new_tokens\": " + TOKENS
                    + ", \"min_new_tokens\": " + TOKENS + ", \"consumer_group\": \"" + group + "\"}";
            CompletableFuture<List<String>> takeoff = http.sendAsync(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + ingestPort + "/generate_stream"))
                            .header("Content-Type", "application/json").header("X-Request-Id", requestId)
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> {
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                        List<String> chunks = new ArrayList<>();
                        for (SseEvent event : SseEvent.readAll(response.body())) {
                            assertThat(event.name()).as("event %s", event).isEqualTo("message");
                            try {
                                chunks.add(JSON.readTree(event.data()).get("text").asText());
                            } catch (IOException e) {
                                throw new AssertionError(e);
                            }
                        }
                        return chunks;
                    });
            return new Clients(sinkSoFar, sinkEvents, takeoff);
        }

        private static List<SseEvent> readEvents(InputStream body, List<SseEvent> soFar) {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, UTF_8))) {
                for (Optional<SseEvent> event = SseEvent.read(reader); event.isPresent(); event = SseEvent.read(reader)) {
                    soFar.add(event.get());
                }
                return List.copyOf(soFar);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
