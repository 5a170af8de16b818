package io.kaption.schemas;

import io.kaption.localstack.junit.SharedInfrastructure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;

/** Client settings for the shared test broker, and a reader that polls until it has what a test waits for. */
public final class KafkaClients {

    private KafkaClients() {}

    /** A topic name of the given family no other test uses, e.g. {@code kaption.requests.it-3f2a...}. */
    public static String uniqueTopic(String prefix) {
        return prefix + "it-" + UUID.randomUUID();
    }

    public static Map<String, Object> producerConfig() {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all");
    }

    public static Map<String, Object> consumerConfig() {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    }

    /**
     * Polls until {@code enough} holds for what was read, or a generous safety limit passes (then the test's own
     * assertions report what is missing; nothing here measures speed).
     */
    public static <K, V> List<ConsumerRecord<K, V>> readUntil(Consumer<K, V> consumer,
                                                             Predicate<List<ConsumerRecord<K, V>>> enough) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        long giveUpAt = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!enough.test(records) && System.nanoTime() < giveUpAt) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }
}
