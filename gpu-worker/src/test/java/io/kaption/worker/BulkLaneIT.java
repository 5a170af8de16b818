package io.kaption.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.EventCollector.Received;
import io.kaption.worker.consume.RequestConsumer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bulk lane and job cancellations: a worker with a small batch on the shared broker with the demo model, fed by
 * real (and transactional) producers.
 */
@ExtendWith(SharedInfrastructure.class)
class BulkLaneIT {

    private static final String GROUP = "it-bulk-" + UUID.randomUUID();
    private static final String BULK = Topics.bulkRequests(GROUP);
    private static final int MAX_BATCH_SIZE = 2;

    @TempDir
    static Path temp;

    private static Path model;
    private static GpuWorker worker;
    private static EventCollector events;
    private static KafkaProducer<String, GenerationRequest> requests;
    private static KafkaProducer<String, Cancellation> cancellations;
    private static KafkaProducer<byte[], byte[]> raw;
    private static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        model = DemoCheckpoint.write(temp.resolve("demo-model"));
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        worker = GpuWorker.start(config(GROUP));
        events = EventCollector.start(bootstrap);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");
        requests = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.REQUESTS, producerConfig));
        cancellations = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig));
        raw = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        admin = KafkaTopics.admin(bootstrap);
    }

    private static WorkerConfig config(String group) {
        return WorkerConfig.builder()
                .model(model)
                .consumerGroups(group)
                .kafkaBootstrapServers(SharedInfrastructure.kafkaBootstrapServers())
                .s3Endpoint(SharedInfrastructure.s3Endpoint())
                .topics(new TopicProvisioner.Settings(2, (short) 1))
                .maxBatchSize(MAX_BATCH_SIZE)
                .batchDuration(Duration.ofMillis(20))
                .shutdownGrace(Duration.ofSeconds(2))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {requests, cancellations, raw, admin, events, worker}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    private static GenerationRequest bulkRequest(String jobId, int n, int tokens) {
        return GenerationRequest.builder(jobId + "-" + n, Texts.of("Describe record " + n + "."), null)
                .jobId(jobId).recordId("record-" + n).maxNewTokens(tokens).minNewTokens(tokens).build();
    }

    private static void awaitResults(List<String> ids) {
        await().atMost(Duration.ofSeconds(300)).until(() -> ids.stream().allMatch(id -> !events.results(id).isEmpty()));
    }

    @Test
    void anInteractiveRequestOvertakesABulkBacklog() throws Exception {
        String job = newId("job-backlog");
        List<String> bulk = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            GenerationRequest request = bulkRequest(job, n, 24);
            bulk.add(request.requestId());
            requests.send(new ProducerRecord<>(BULK, request.requestId(), request));
        }
        String interactive = newId("interactive");
        requests.send(new ProducerRecord<>(Topics.requests(GROUP), interactive,
                GenerationRequest.builder(interactive, Texts.of("Say hi."), null).maxNewTokens(4).build()));
        requests.flush();

        Received<GenerationResult> answer = events.awaitResult(interactive);
        assertThat(answer.value().error()).isNull();
        awaitResults(bulk);

        // Results are written by the one worker, so their timestamps order them.
        long bulkAnsweredFirst = bulk.stream().map(id -> events.results(id).get(0))
                .filter(r -> r.timestamp() <= answer.timestamp()).count();
        assertThat(bulkAnsweredFirst)
                .as("bulk results written before the interactive one (at most the rows running and the few "
                        + "finished before it was published)")
                .isLessThan(20);
        for (String id : bulk) {
            assertThat(events.results(id)).hasSize(1);
            GenerationResult result = events.results(id).get(0).value();
            assertThat(result.error()).isNull();
            assertThat(result.jobId()).isEqualTo(job);
            assertThat(result.usage().completionTokens()).isEqualTo(24);
        }
    }

    @Test
    void aJobCancellationEndsItsQueuedAndRunningRequestsWhileAnotherJobCompletes() throws Exception {
        String cancelledJob = newId("job-cancelled");
        String otherJob = newId("job-other");
        List<String> cancelled = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            // Far too long to finish by themselves; streaming shows when they run.
            GenerationRequest request = GenerationRequest.builder(cancelledJob + "-" + n, Texts.of("A long story."),
                    null).jobId(cancelledJob).recordId("record-" + n).stream(true).maxNewTokens(4000)
                    .minNewTokens(4000).build();
            cancelled.add(request.requestId());
            requests.send(new ProducerRecord<>(BULK, request.requestId(), request));
        }
        List<String> other = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            GenerationRequest request = bulkRequest(otherJob, n, 4);
            other.add(request.requestId());
            requests.send(new ProducerRecord<>(BULK, request.requestId(), request));
        }
        requests.flush();
        await().atMost(Duration.ofSeconds(120))
                .until(() -> cancelled.stream().anyMatch(id -> !events.tokens(id).isEmpty()));

        cancellations.send(new ProducerRecord<>(Topics.CANCELLATIONS, cancelledJob,
                Cancellation.ofJob(cancelledJob, "user_requested"))).get();

        awaitResults(cancelled);
        awaitResults(other);
        for (String id : cancelled) {
            assertThat(events.results(id)).as("results of %s", id).hasSize(1);
            GenerationResult result = events.results(id).get(0).value();
            assertThat(result.error()).isEqualTo(new GenerationResult.Failure("cancelled",
                    "job " + cancelledJob + " cancelled (user_requested)"));
            assertThat(result.jobId()).isEqualTo(cancelledJob);
            assertThat(result.recordId()).isEqualTo("record-" + id.substring(id.lastIndexOf('-') + 1));
            List<Received<io.kaption.schemas.TokenEvent>> tokens = events.tokens(id);
            assertThat(tokens).as("a final token event per streaming request").isNotEmpty();
            assertThat(tokens.get(tokens.size() - 1).value().isFinal()).isTrue();
        }
        for (String id : other) {
            assertThat(events.results(id)).hasSize(1);
            assertThat(events.results(id).get(0).value().error()).isNull();
        }
    }

    @Test
    void aBulkRecordOfAnAbortedTransactionIsNeverProcessed() throws Exception {
        String job = newId("job-tx");
        GenerationRequest aborted = bulkRequest(job, 0, 4);
        GenerationRequest committed = bulkRequest(job, 1, 4);
        RecordMetadata sent;
        try (KafkaProducer<String, GenerationRequest> transactional = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, newId("it-planner"),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(),
                new ContractSerializer<>(ContractCodec.REQUESTS, Map.of()))) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(new ProducerRecord<>(BULK, 0, aborted.requestId(), aborted)).get();
            transactional.abortTransaction();
            transactional.beginTransaction();
            sent = transactional.send(new ProducerRecord<>(BULK, 0, committed.requestId(), committed)).get();
            transactional.commitTransaction();
        }

        assertThat(events.awaitResult(committed.requestId()).value().error()).isNull();
        // The partition is committed past the committed record only once everything before it was answered.
        TopicPartition partition = new TopicPartition(BULK, 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(RequestConsumer.groupId(GROUP))
                    .partitionsToOffsetAndMetadata().get().get(partition);
            return offset != null && offset.offset() > sent.offset();
        });
        assertThat(events.results(aborted.requestId())).isEmpty();
        assertThat(events.results(committed.requestId())).hasSize(1);
    }

    @Test
    void aJobCancelledBeforeTheWorkerStartedIsHonouredWithoutLoadingItsImages() throws Exception {
        String group = newId("it-bulk-late");
        String cancelledJob = newId("job-cancelled-early");
        String otherJob = newId("job-other");
        cancellations.send(new ProducerRecord<>(Topics.CANCELLATIONS, cancelledJob,
                Cancellation.ofJob(cancelledJob, "user_requested"))).get();
        SharedInfrastructure.createTopic(Topics.bulkRequests(group), 2);
        List<String> cancelled = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            // Loading this image would fail with image_unavailable: a "cancelled" result shows it was not loaded.
            GenerationRequest request = GenerationRequest.builder(cancelledJob + "-" + n, Texts.of("What is it?"),
                    "s3://" + newId("no-such-bucket") + "/" + n + ".png").jobId(cancelledJob).build();
            cancelled.add(request.requestId());
            requests.send(new ProducerRecord<>(Topics.bulkRequests(group), request.requestId(), request));
        }
        GenerationRequest kept = bulkRequest(otherJob, 0, 4);
        requests.send(new ProducerRecord<>(Topics.bulkRequests(group), kept.requestId(), kept)).get();
        requests.flush();

        System.setProperty("aws.accessKeyId", "kaption");
        System.setProperty("aws.secretAccessKey", "kaption-secret");
        try (GpuWorker late = GpuWorker.start(config(group))) {
            awaitResults(cancelled);
            for (String id : cancelled) {
                assertThat(events.results(id)).hasSize(1);
                assertThat(events.results(id).get(0).value().error()).isEqualTo(new GenerationResult.Failure(
                        "cancelled", "job " + cancelledJob + " cancelled (user_requested)"));
                assertThat(events.results(id).get(0).value().imageUrl()).startsWith("s3://no-such-bucket-");
            }
            assertThat(events.awaitResult(kept.requestId()).value().error()).isNull();
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void anUndecodableBulkRecordGoesToTheBulkDeadLetterTopicAndTheLaneGoesOn() throws Exception {
        byte[] key = newId("poison").getBytes(UTF_8);
        byte[] garbage = "{\"request_id\": \"x\", oops".getBytes(UTF_8);
        RecordMetadata poisoned = raw.send(new ProducerRecord<>(BULK, 1, key, garbage)).get();
        GenerationRequest next = bulkRequest(newId("job-after-poison"), 0, 4);
        requests.send(new ProducerRecord<>(BULK, 1, next.requestId(), next)).get();

        assertThat(events.awaitResult(next.requestId()).value().error()).isNull();
        List<ConsumerRecord<byte[], byte[]>> parked = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, newId("it"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            dlq.subscribe(List.of(Topics.dlq(BULK)));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                dlq.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (Arrays.equals(r.key(), key)) {
                        parked.add(r);
                    }
                });
                return !parked.isEmpty();
            });
        }
        assertThat(parked).hasSize(1);
        assertThat(parked.get(0).value()).isEqualTo(garbage);
        assertThat(header(parked.get(0), DeadLetterHeaders.REASON))
                .startsWith("invalid kaption.requests/v1 value: $: not valid JSON: ");
        assertThat(header(parked.get(0), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(BULK);
        assertThat(header(parked.get(0), DeadLetterHeaders.SOURCE_OFFSET))
                .isEqualTo(Long.toString(poisoned.offset()));
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        return new String(record.headers().lastHeader(name).value(), UTF_8);
    }
}
