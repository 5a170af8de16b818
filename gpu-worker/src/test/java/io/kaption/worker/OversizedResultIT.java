package io.kaption.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.publish.EventPublisher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A result larger than a Kafka record may be (a long {@code text} list times {@code max_new_tokens}), on the shared
 * broker with a producer configured as the worker's. It was refused by the producer, which is fatal: the worker
 * stopped, and every worker of the pool that took the redelivered request stopped again.
 */
@ExtendWith(SharedInfrastructure.class)
class OversizedResultIT {

    @Test
    void aResultTooLargeForARecordIsAnsweredWithAFailureAndTheWorkerGoesOn() throws Exception {
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            new TopicProvisioner(admin, TopicProvisioner.Settings.fromEnvironment(Map.of()))
                    .ensure(List.of(Topics.TOKENS, Topics.RESULTS));
        }
        String id = "oversized-" + UUID.randomUUID();
        GenerationRequest request = GenerationRequest.builder(id, Texts.ofList(List.of("a?", "b?")), null)
                .jobId("job-9").outputUri("s3://kaption-outputs/job-9.json").build();
        String text = "word ".repeat(120_000); // 600 kB per prompt, 1.2 MB together
        GenerationResult huge = GenerationResult.completed(request, Texts.ofList(List.of(text, text)),
                FinishReason.LENGTH, GenerationResult.Usage.of(10, 240_000), 3L, 4L);

        List<Throwable> fatal = new CopyOnWriteArrayList<>();
        AtomicBoolean acknowledged = new AtomicBoolean();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
             EventPublisher publisher = new EventPublisher(producer, fatal::add);
             EventCollector events = EventCollector.start(bootstrap)) {
            publisher.result(huge, CompletableFuture.completedFuture(null), () -> acknowledged.set(true));

            await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.get() || !fatal.isEmpty());
            assertThat(fatal).isEmpty();
            assertThat(acknowledged).isTrue();
            GenerationResult answered = events.awaitResult(id).value();
            assertThat(answered.finishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(answered.text()).isNull();
            assertThat(answered.error().code()).isEqualTo("inference_failed");
            assertThat(answered.error().message()).matches(
                    "the result of \\d+ bytes is larger than a Kafka record may be \\(1000000 bytes\\)");
            assertThat(answered.jobId()).isEqualTo("job-9");
            assertThat(answered.outputUri()).isEqualTo("s3://kaption-outputs/job-9.json");
            assertThat(answered.queuedMs()).isEqualTo(3L);
            assertThat(answered.inferenceMs()).isEqualTo(4L);
        }
    }
}
