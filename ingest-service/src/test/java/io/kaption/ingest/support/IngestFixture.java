package io.kaption.ingest.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real ingest service for one test class: on the shared broker and S3, listening on 127.0.0.1 with a free port, with
 * its own consumer group (one-partition request topic) and image bucket. Also plays the parts around it: an HTTP client,
 * a reader of what ingest published, and the worker's producer of token events and results.
 */
public final class IngestFixture implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration WAIT = Duration.ofSeconds(60);

    static {
        // The S3 client takes credentials from the default chain; the test S3 server accepts any.
        System.setProperty("aws.accessKeyId", "kaption");
        System.setProperty("aws.secretAccessKey", "kaption-secret");
    }

    private final IngestService service;
    private final String group;
    private final String bucket;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final KafkaProducer<String, byte[]> producer;

    private IngestFixture(IngestService service, String group, String bucket) {
        this.service = service;
        this.group = group;
        this.bucket = bucket;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Topics every ingest needs: the event hub's and the cancellations'. */
    public static void createSharedTopics() {
        SharedInfrastructure.createTopic(Topics.TOKENS, 3);
        SharedInfrastructure.createTopic(Topics.RESULTS, 3);
        SharedInfrastructure.createTopic(Topics.CANCELLATIONS, 1);
    }

    /** Environment of an ingest on the shared broker and S3, before {@code overrides}. */
    public static Map<String, String> environment(String group, String bucket, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put(IngestConfig.HOST, "127.0.0.1");
        env.put(IngestConfig.PORT, "0");
        env.put(IngestConfig.KAFKA_BOOTSTRAP_SERVERS, SharedInfrastructure.kafkaBootstrapServers());
        env.put(IngestConfig.S3_ENDPOINT, SharedInfrastructure.s3Endpoint().toString());
        env.put(IngestConfig.IMAGE_BUCKET, bucket);
        // The job API's tests need no planning; job-planner and local-pipeline test the planner.
        env.put(IngestConfig.PLAN_JOBS, "false");
        env.putAll(overrides);
        return env;
    }

    /** Starts an ingest whose consumer group {@code it-<name>} exists. */
    public static IngestFixture start(String name, Map<String, String> overrides) {
        createSharedTopics();
        String group = "it-" + name;
        SharedInfrastructure.createTopic(Topics.requests(group), 1);
        String bucket = "it-" + name.toLowerCase(Locale.ROOT);
        IngestService service = IngestService.start(IngestConfig.fromEnvironment(environment(group, bucket, overrides)));
        return new IngestFixture(service, group, bucket);
    }

    public String group() {
        return group;
    }

    public String bucket() {
        return bucket;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    public IngestService service() {
        return service;
    }

    public static String newRequestId() {
        return "it-" + UUID.randomUUID();
    }

    // ---- HTTP ----

    public HttpRequest.Builder jsonRequest(String path, String requestId, String json) {
        return HttpRequest.newBuilder(uri(path))
                .timeout(WAIT)
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    public HttpRequest.Builder multipartRequest(String path, String requestId, Multipart form) {
        return HttpRequest.newBuilder(uri(path))
                .timeout(WAIT)
                .header("Content-Type", form.contentType())
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes()));
    }

    public CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest.Builder request) {
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(WAIT).GET());
    }

    public static HttpResponse<String> await(CompletableFuture<HttpResponse<String>> response) {
        try {
            return response.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("no HTTP response", e);
        }
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- what ingest published ----

    /** The value of the record keyed {@code requestId} on this fixture's request topic, as JSON. */
    public JsonNode awaitRequest(String requestId) {
        return awaitRecord(Topics.requests(group), requestId);
    }

    /** The value of the record keyed {@code requestId} on {@code topic}, waiting for it to appear. */
    public static JsonNode awaitRecord(String topic, String requestId) {
        Instant deadline = Instant.now().plus(WAIT);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (requestId.equals(record.key())) {
                        return JSON.readTree(record.value());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no record keyed " + requestId + " on " + topic + " within " + WAIT);
    }

    /**
     * Asserts that nothing keyed {@code requestId} is on this fixture's request topic: writes a marker record after
     * the fact and reads the one partition up to it.
     */
    public void assertNothingPublished(String requestId) {
        String topic = Topics.requests(group);
        String marker = "marker-" + UUID.randomUUID();
        send(topic, marker, ContractCodec.REQUESTS.encode(
                GenerationRequest.builder(marker, Texts.of("marker"), null).consumerGroup(group).build()));
        List<String> keys = new ArrayList<>();
        Instant deadline = Instant.now().plus(WAIT);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (!keys.contains(marker) && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> keys.add(record.key()));
            }
        }
        assertThat(keys).contains(marker).doesNotContain(requestId);
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    // ---- the worker's part ----

    public void token(String requestId, int batchId, int index, String text) {
        send(Topics.TOKENS, requestId, ContractCodec.TOKENS.encode(TokenEvent.chunk(requestId, batchId, index, text)));
    }

    /** A token event as {@code attempt} publishes it (a redelivered request is generated again by another). */
    public void token(String attempt, String requestId, int batchId, int index, String text) {
        send(Topics.TOKENS, requestId,
                ContractCodec.TOKENS.encode(TokenEvent.chunk(requestId, batchId, index, text).withAttempt(attempt)));
    }

    public void lastToken(String attempt, String requestId, int batchId, int index, FinishReason reason) {
        send(Topics.TOKENS, requestId,
                ContractCodec.TOKENS.encode(TokenEvent.last(requestId, batchId, index, "", reason).withAttempt(attempt)));
    }

    public void lastToken(String requestId, int batchId, int index, String text, FinishReason reason) {
        send(Topics.TOKENS, requestId,
                ContractCodec.TOKENS.encode(TokenEvent.last(requestId, batchId, index, text, reason)));
    }

    public void result(GenerationResult result) {
        send(Topics.RESULTS, result.requestId(), ContractCodec.RESULTS.encode(result));
    }

    public static GenerationResult completed(String requestId, Texts text, FinishReason reason,
                                             GenerationResult.Usage usage) {
        return new GenerationResult(requestId, text, reason, usage, null, null, null, 3L, 40L, null, null, null);
    }

    public static GenerationResult failed(String requestId, String code, String message) {
        return new GenerationResult(requestId, null, FinishReason.ERROR, null,
                new GenerationResult.Failure(code, message), null, null, null, null, null, null, null);
    }

    private void send(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not write to " + topic, e);
        }
    }

    public Optional<String> header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        service.close();
    }
}
