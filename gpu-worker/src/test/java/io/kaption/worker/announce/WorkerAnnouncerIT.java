package io.kaption.worker.announce;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import io.kaption.schemas.WorkerAnnouncement;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The announcer on the shared broker: valid announcements at start and every interval, a tombstone on close. */
@ExtendWith(SharedInfrastructure.class)
class WorkerAnnouncerIT {

    @Test
    void announcesRepeatedlyThenWithdraws(@TempDir Path dir) throws Exception {
        // Other tests of this JVM may have created it already (with their own partition count).
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            new TopicProvisioner(admin, new TopicProvisioner.Settings(1, (short) 1))
                    .ensure(TopicProvisioner.workerTopics());
        }
        Path model = Files.createDirectory(dir.resolve("llava-1.5-7b-hf"));
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"LlavaForConditionalGeneration\"]}");
        List<ConsumerRecord<byte[], byte[]>> mine = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.WORKERS).stream()
                    .map(info -> new TopicPartition(Topics.WORKERS, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            WorkerAnnouncer announcer = WorkerAnnouncer.start(producer, List.of("primary", "ocr"), model,
                    "float16", 8, () -> List.of("style-a", "style-b"), Duration.ofMillis(200), Clock.systemUTC());
            String workerId = announcer.workerId();
            Instant deadline = Instant.now().plusSeconds(60);
            while (mine.size() < 3 && Instant.now().isBefore(deadline)) {
                read(consumer, workerId, mine);
            }
            announcer.close();
            while ((mine.isEmpty() || mine.get(mine.size() - 1).value() != null) && Instant.now().isBefore(deadline)) {
                read(consumer, workerId, mine);
            }
            assertThat(mine.get(0).key()).asString(StandardCharsets.UTF_8).isEqualTo(workerId);
        }
        assertThat(mine.size()).as("announcements and the tombstone").isGreaterThanOrEqualTo(4);
        assertThat(mine.get(mine.size() - 1).value()).as("the last record is the tombstone").isNull();
        List<WorkerAnnouncement> announcements = mine.subList(0, mine.size() - 1).stream()
                .map(record -> ContractCodec.WORKERS.decode(record.value())).toList();
        WorkerAnnouncement first = announcements.get(0);
        assertThat(first.workerId()).contains("-" + ProcessHandle.current().pid());
        assertThat(first.consumerGroups()).containsExactly("primary", "ocr");
        assertThat(first.model()).isEqualTo("llava-1.5-7b-hf");
        assertThat(first.modelType()).isEqualTo("LlavaForConditionalGeneration");
        assertThat(first.loraAdapters()).containsExactly("style-a", "style-b");
        assertThat(first.dtype()).isEqualTo("float16");
        assertThat(first.maxBatchSize()).isEqualTo(8);
        assertThat(first.announceIntervalMs()).isEqualTo(200);
        assertThat(first.aliveAt(first.announcedAt().plusMillis(600))).isTrue();
        assertThat(first.aliveAt(first.announcedAt().plusMillis(601))).isFalse();
        WorkerAnnouncement last = announcements.get(announcements.size() - 1);
        assertThat(last.startedAt()).isEqualTo(first.startedAt());
        assertThat(last.announcedAt()).isAfter(first.announcedAt()).isBeforeOrEqualTo(Instant.now());
    }

    private static void read(KafkaConsumer<byte[], byte[]> consumer, String workerId,
                             List<ConsumerRecord<byte[], byte[]>> mine) {
        consumer.poll(Duration.ofMillis(100)).forEach(record -> {
            if (workerId.equals(new String(record.key(), StandardCharsets.UTF_8))) {
                mine.add(record);
            }
        });
    }
}
