package io.kaption.ingest.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.apikeys.ApiKeys;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import io.kaption.schemas.WorkerAnnouncement;
import io.kaption.schemas.serde.ContractCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.kaption.ingest.support.IngestFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /v1/models} and {@code /v1/groups} on a real ingest service: workers announced on {@code kaption.workers}
 * (as a worker writes them), lag from real committed offsets of the workers' Kafka group, DLQ depth from records on
 * the {@code .dlq} topic; tombstoned and silent workers drop out; a key sees only its groups.
 */
@ExtendWith(SharedInfrastructure.class)
class DiscoveryIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String VISION = "it-disc-vision-" + RUN;
    private static final String OCR = "it-disc-ocr-" + RUN;
    private static final String ALL = "k-all-" + RUN;
    private static final String OCR_ONLY = "k-ocr-" + RUN;

    private static IngestFixture ingest;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        SharedInfrastructure.createTopic(Topics.requests(VISION), 2);
        SharedInfrastructure.createTopic(Topics.dlq(Topics.requests(VISION)), 1);
        SharedInfrastructure.createTopic(Topics.requests(OCR), 1);
        ingest = IngestFixture.start("disc-" + RUN, Map.of(ApiKeys.VARIABLE, ALL + "," + OCR_ONLY + ":" + OCR));
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
        // 5 requests on VISION's partition 0, 2 of them consumed and committed by its workers' Kafka group; 3 DLQ'd.
        for (int i = 0; i < 5; i++) {
            send(new ProducerRecord<>(Topics.requests(VISION), 0, "r" + i, "{}".getBytes(StandardCharsets.UTF_8)));
        }
        for (int i = 0; i < 3; i++) {
            send(new ProducerRecord<>(Topics.dlq(Topics.requests(VISION)), "d" + i, new byte[] {1}));
        }
        try (KafkaConsumer<String, byte[]> worker = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "kaption-worker-" + VISION),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            worker.commitSync(Map.of(new TopicPartition(Topics.requests(VISION), 0), new OffsetAndMetadata(2)));
        }
    }

    @AfterAll
    static void stop() {
        producer.close(Duration.ofSeconds(5));
        ingest.close();
    }

    @Test
    void modelsListTheGroupsAliveWorkersServeInOpenAIsShape() {
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        announce(worker("w-vision-" + RUN, List.of(VISION), "llava-1.5-7b-hf", started, 60_000));
        announce(worker("w-both-" + RUN, List.of(VISION, OCR), "llava-v1.6-mistral-7b-hf", started.plusSeconds(5),
                60_000));

        JsonNode models = await().atMost(IngestFixture.WAIT).until(() -> get("/v1/models", ALL),
                body -> ids(body).containsAll(List.of(VISION, OCR)));
        assertThat(models.get("object").asText()).isEqualTo("list");
        JsonNode vision = entry(models, VISION);
        assertThat(vision.get("object").asText()).isEqualTo("model");
        assertThat(vision.get("created").asLong()).isEqualTo(started.getEpochSecond());
        assertThat(vision.get("owned_by").asText()).isEqualTo("kaption");
        assertThat(vision.get("root").asText()).isEqualTo("llava-1.5-7b-hf");

        HttpResponse<String> one = send("/v1/models/" + OCR, ALL);
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one.body()).get("root").asText()).isEqualTo("llava-v1.6-mistral-7b-hf");

        HttpResponse<String> missing = send("/v1/models/gpt-4o", ALL);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing.body()).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(json(missing.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");

        // A key sees only the groups it may use.
        assertThat(ids(get("/v1/models", OCR_ONLY))).contains(OCR).doesNotContain(VISION);
        assertThat(send("/v1/models/" + VISION, OCR_ONLY).statusCode()).isEqualTo(404);
        assertThat(send("/v1/models", null).statusCode()).isEqualTo(401);
    }

    @Test
    void loraAdaptersAnnouncedByAGroupsWorkersAreModelsOfTheirOwn() {
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
        WorkerAnnouncement plain = worker("w-lora-1-" + RUN, List.of(OCR), "llava-1.5-7b-hf", started, 60_000);
        announce(new WorkerAnnouncement(plain.workerId(), plain.consumerGroups(), plain.model(), plain.modelType(),
                plain.dtype(), plain.maxBatchSize(), plain.host(), plain.startedAt(), plain.announcedAt(),
                plain.announceIntervalMs(), List.of("receipts", "invoices")));
        WorkerAnnouncement other = worker("w-lora-2-" + RUN, List.of(OCR), "llava-1.5-7b-hf", started, 60_000);
        announce(new WorkerAnnouncement(other.workerId(), other.consumerGroups(), other.model(), other.modelType(),
                other.dtype(), other.maxBatchSize(), other.host(), other.startedAt(), other.announcedAt(),
                other.announceIntervalMs(), List.of("invoices", "menus")));

        JsonNode models = await().atMost(IngestFixture.WAIT).until(() -> get("/v1/models", ALL),
                body -> ids(body).containsAll(List.of(OCR + ":invoices", OCR + ":menus", OCR + ":receipts")));
        JsonNode receipts = entry(models, OCR + ":receipts");
        assertThat(receipts.get("object").asText()).isEqualTo("model");
        assertThat(receipts.get("parent").asText()).isEqualTo(OCR);
        assertThat(receipts.get("root").asText()).isEqualTo("receipts");
        assertThat(ids(models)).filteredOn(id -> id.startsWith(OCR + ":")).doesNotHaveDuplicates();

        HttpResponse<String> one = send("/v1/models/" + OCR + ":menus", ALL);
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one.body()).get("parent").asText()).isEqualTo(OCR);
        assertThat(send("/v1/models/" + OCR + ":unknown", ALL).statusCode()).isEqualTo(404);
        assertThat(ids(get("/v1/models", OCR_ONLY))).contains(OCR + ":menus");
        assertThat(ids(get("/v1/models", ALL))).noneMatch(id -> id.startsWith(VISION + ":"));
    }

    @Test
    void aGroupShowsItsWorkersPartitionsLagAndDlqDepth() {
        announce(worker("w-lag-" + RUN, List.of(VISION), "llava-1.5-7b-hf", Instant.now(), 60_000));

        JsonNode group = await().atMost(IngestFixture.WAIT).until(() -> get("/v1/groups/" + VISION, ALL),
                body -> body.get("workers").findValuesAsText("worker_id").contains("w-lag-" + RUN));
        assertThat(group.get("object").asText()).isEqualTo("consumer_group");
        JsonNode worker = workerEntry(group, "w-lag-" + RUN);
        assertThat(worker.get("dtype").asText()).isEqualTo("float16");
        assertThat(worker.get("max_batch_size").asInt()).isEqualTo(8);
        assertThat(worker.get("model").asText()).isEqualTo("llava-1.5-7b-hf");
        assertThat(group.at("/kafka_consumer_group/group_id").asText()).isEqualTo("kaption-worker-" + VISION);

        JsonNode interactive = group.get("lanes").get(0);
        assertThat(interactive.get("lane").asText()).isEqualTo("interactive");
        assertThat(interactive.get("topic").asText()).isEqualTo(Topics.requests(VISION));
        assertThat(interactive.get("partitions")).hasSize(2);
        JsonNode p0 = interactive.get("partitions").get(0);
        assertThat(p0.get("end_offset").asLong()).isEqualTo(5);
        assertThat(p0.get("committed_offset").asLong()).isEqualTo(2);
        assertThat(p0.get("lag").asLong()).isEqualTo(3);
        assertThat(interactive.get("partitions").get(1).get("committed_offset").isNull()).isTrue();
        assertThat(interactive.get("lag").asLong()).isEqualTo(3);
        assertThat(interactive.get("dlq_depth").asLong()).isEqualTo(3);
        assertThat(group.get("lag").asLong()).isEqualTo(3);
        assertThat(group.get("dlq_depth").asLong()).isEqualTo(3);
        JsonNode bulk = group.get("lanes").get(1);
        assertThat(bulk.get("lane").asText()).isEqualTo("bulk");
        assertThat(bulk.get("partitions")).isEmpty(); // no bulk topic made for this group

        JsonNode all = get("/v1/groups", ALL);
        assertThat(all.get("object").asText()).isEqualTo("list");
        assertThat(all.get("data").findValuesAsText("id")).contains(VISION, OCR);
        assertThat(get("/v1/groups", OCR_ONLY).get("data").findValuesAsText("id")).contains(OCR)
                .doesNotContain(VISION);
        assertThat(send("/v1/groups/" + VISION, OCR_ONLY).statusCode()).isEqualTo(403);
        assertThat(send("/v1/groups/no-such-group-" + RUN, ALL).statusCode()).isEqualTo(404);
    }

    @Test
    void stoppedAndSilentWorkersDropOut() {
        String group = "it-disc-gone-" + RUN;
        announce(worker("w-stopping-" + RUN, List.of(group), "m", Instant.now(), 60_000));
        await().atMost(IngestFixture.WAIT).until(() -> ids(get("/v1/models", ALL)).contains(group));
        send(new ProducerRecord<>(Topics.WORKERS, "w-stopping-" + RUN, null)); // what a worker writes when it stops
        await().atMost(IngestFixture.WAIT).until(() -> !ids(get("/v1/models", ALL)).contains(group));

        // Announced 1 s apart, last heard of 10 s ago: three announcements missed.
        announce(new WorkerAnnouncement("w-silent-" + RUN, List.of(group), "m", null, "float32", 4, "h",
                Instant.now().minusSeconds(60), Instant.now().minusSeconds(10), 1000));
        announce(worker("w-marker-" + RUN, List.of(OCR), "m", Instant.now(), 60_000));
        await().atMost(IngestFixture.WAIT).until(() -> get("/v1/groups/" + OCR, ALL).get("workers")
                .findValuesAsText("worker_id").contains("w-marker-" + RUN));
        assertThat(ids(get("/v1/models", ALL))).doesNotContain(group);
    }

    private static WorkerAnnouncement worker(String id, List<String> groups, String model, Instant started,
                                             long intervalMs) {
        return new WorkerAnnouncement(id, groups, model, "LlavaForConditionalGeneration", "float16", 8, "gpu-host-1",
                started, Instant.now(), intervalMs);
    }

    private static void announce(WorkerAnnouncement announcement) {
        send(new ProducerRecord<>(Topics.WORKERS, announcement.workerId(), ContractCodec.WORKERS.encode(announcement)));
    }

    private static void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> send(String path, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(ingest.uri(path)).timeout(IngestFixture.WAIT).GET();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return ingest.send(request);
    }

    private static JsonNode get(String path, String key) {
        HttpResponse<String> response = send(path, key);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return json(response.body());
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.get("data").forEach(entry -> ids.add(entry.get("id").asText()));
        return ids;
    }

    private static JsonNode entry(JsonNode list, String id) {
        for (JsonNode entry : list.get("data")) {
            if (entry.get("id").asText().equals(id)) {
                return entry;
            }
        }
        throw new AssertionError("no " + id + " in " + list);
    }

    private static JsonNode workerEntry(JsonNode group, String id) {
        for (JsonNode entry : group.get("workers")) {
            if (entry.get("worker_id").asText().equals(id)) {
                return entry;
            }
        }
        throw new AssertionError("no worker " + id + " in " + group);
    }
}
