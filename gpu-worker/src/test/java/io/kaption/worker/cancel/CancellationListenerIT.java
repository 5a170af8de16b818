package io.kaption.worker.cancel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The listener on the shared broker, on a topic of its own (partitions are added to it, which the shared
 * {@code kaption.cancellations} must not see).
 */
@ExtendWith(SharedInfrastructure.class)
class CancellationListenerIT {

    @Test
    void aPartitionAddedWhileTheListenerRunsIsFollowedFromItsStart() throws Exception {
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        String topic = "it-cancellations-" + UUID.randomUUID();
        SharedInfrastructure.createTopic(topic, 1);
        CancelledRequests cancelled = new CancelledRequests(Duration.ofDays(7));
        List<Throwable> fatal = new CopyOnWriteArrayList<>();
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        String early = "early-" + UUID.randomUUID();
        String late = "late-" + UUID.randomUUID();

        try (CancellationListener listener = CancellationListener.start(KafkaConnection.of(bootstrap), topic, Duration.ofDays(7), Duration.ofMillis(200),
                        Map.of(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 500), cancelled, fatal::add);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            try (KafkaProducer<String, Cancellation> producer = new KafkaProducer<>(producerConfig,
                    new StringSerializer(), new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig))) {
                producer.send(new ProducerRecord<>(topic, 0, early, new Cancellation(early, "first"))).get();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> cancelled.reason(early).isPresent());

            // Ingest keys cancellations by request id: after the topic grows, some land on the new partition.
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
            try (KafkaProducer<String, Cancellation> producer = new KafkaProducer<>(producerConfig,
                    new StringSerializer(), new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig))) {
                producer.send(new ProducerRecord<>(topic, 1, late, new Cancellation(late, "client_disconnected")))
                        .get();
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> cancelled.reason(late).isPresent());
            assertThat(cancelled.reason(late)).contains("client_disconnected");
            assertThat(fatal).isEmpty();
        }
    }

    @Test
    void atStartJobCancellationsOfTheLookbackAreReadBackButNotRequestOnes() throws Exception {
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        String topic = "it-cancellations-" + UUID.randomUUID();
        SharedInfrastructure.createTopic(topic, 1);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long now = System.currentTimeMillis();
        String tooOld = "job-old-" + UUID.randomUUID();
        String recent = "job-recent-" + UUID.randomUUID();
        String request = "req-" + UUID.randomUUID();
        try (KafkaProducer<String, Cancellation> producer = new KafkaProducer<>(producerConfig,
                new StringSerializer(), new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig))) {
            producer.send(new ProducerRecord<>(topic, 0, now - Duration.ofDays(2).toMillis(), tooOld,
                    Cancellation.ofJob(tooOld, "user_requested"))).get();
            producer.send(new ProducerRecord<>(topic, 0, now - Duration.ofHours(1).toMillis(), recent,
                    Cancellation.ofJob(recent, "user_requested"))).get();
            producer.send(new ProducerRecord<>(topic, 0, request, new Cancellation(request, "client_disconnected")))
                    .get();
        }
        CancelledRequests cancelled = new CancelledRequests(Duration.ofDays(1));
        List<Throwable> fatal = new CopyOnWriteArrayList<>();

        try (CancellationListener listener = CancellationListener.start(KafkaConnection.of(bootstrap), topic, Duration.ofDays(1),
                Duration.ofSeconds(30), Map.of(), cancelled, fatal::add)) {
            // No waiting: start returns only after the replay.
            assertThat(cancelled.jobReason(recent)).contains("user_requested");
            assertThat(cancelled.jobReason(tooOld)).as("published before the lookback").isEmpty();
            assertThat(cancelled.reason(request)).as("a request cancelled before the worker started").isEmpty();

            String after = "req-after-" + UUID.randomUUID();
            try (KafkaProducer<String, Cancellation> producer = new KafkaProducer<>(producerConfig,
                    new StringSerializer(), new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig))) {
                producer.send(new ProducerRecord<>(topic, 0, after, new Cancellation(after, "client_disconnected")))
                        .get();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> cancelled.reason(after).isPresent());
            assertThat(fatal).isEmpty();
        }
    }
}
