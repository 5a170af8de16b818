package io.kaption.local.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The floor under the pipeline's overhead: how long one record takes from a producer to a consumer waiting for it, on
 * the benchmark's broker at the benchmark's rate, with nothing else in between. The producer sends as the ingest and
 * the worker do (acks=all, idempotent, no linger), the consumer reads as the event hub does (read_committed, a
 * waiting fetch). A request crosses Kafka twice on its way (to the worker, and its result to the hub), so twice this
 * is what the pipeline cannot go below on this machine. At a few records a second it is about twice what it is at
 * forty (docs/PERFORMANCE.md), and not because the cores idle: busy-looping both at the lowest priority left it as is.
 */
final class KafkaHop {

    private static final String TOPIC = "kaption.bench.kafka-hop";
    /** About a small text request's record. */
    private static final int RECORD_BYTES = 300;

    private KafkaHop() {
    }

    /** Milliseconds from send to receipt of each record sent at {@code rate} for {@code seconds}. */
    static double[] measure(String bootstrapServers, double rate, int seconds) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            if (!admin.listTopics().names().get(1, TimeUnit.MINUTES).contains(TOPIC)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(1, TimeUnit.MINUTES);
            }
        }
        TopicPartition partition = new TopicPartition(TOPIC, 0);
        int count = (int) Math.round(seconds * rate);
        List<Double> hops = new ArrayList<>(count);
        AtomicBoolean consuming = new AtomicBoolean(true);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ProducerConfig.ACKS_CONFIG, "all",
                     ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                     ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToEnd(List.of(partition));
            consumer.position(partition); // placed before the first record is sent
            Thread reader = new Thread(() -> {
                while (consuming.get()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        double hopMs = (System.nanoTime() - ByteBuffer.wrap(record.value()).getLong()) / 1e6;
                        synchronized (hops) {
                            hops.add(hopMs);
                        }
                    }
                }
            }, "kaption-bench-kafka-hop");
            reader.start();
            long intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / rate);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long wait = start + i * intervalNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                byte[] value = new byte[RECORD_BYTES];
                ByteBuffer.wrap(value).putLong(System.nanoTime());
                producer.send(new ProducerRecord<>(TOPIC, value));
            }
            producer.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (size(hops) < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            consuming.set(false);
            reader.join();
        }
        if (size(hops) < count) {
            throw new IllegalStateException("the Kafka hop probe received " + hops.size() + " of " + count + " records");
        }
        return hops.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static int size(List<Double> hops) {
        synchronized (hops) {
            return hops.size();
        }
    }
}
