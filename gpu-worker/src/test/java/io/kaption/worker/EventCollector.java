package io.kaption.worker;

import static org.awaitility.Awaitility.await;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads everything on kaption.tokens and kaption.results (all partitions, from the start), by request id. */
final class EventCollector implements AutoCloseable {

    /** A record as read, with where and when it was written. */
    record Received<T>(T value, int partition, long offset, long timestamp) {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, List<Received<TokenEvent>>> tokens = new ConcurrentHashMap<>();
    private final Map<String, List<Received<GenerationResult>>> results = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    private EventCollector(String bootstrapServers) {
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = Stream.of(Topics.TOKENS, Topics.RESULTS)
                .flatMap(topic -> consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream())
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "test-event-collector");
        thread.setDaemon(true);
        thread.start();
    }

    /** The topics must exist (the worker creates them at start). */
    static EventCollector start(String bootstrapServers) {
        return new EventCollector(bootstrapServers);
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.topic().equals(Topics.TOKENS)) {
                        TokenEvent event = ContractCodec.TOKENS.decode(record.value());
                        add(tokens, event.requestId(), new Received<>(event, record.partition(), record.offset(),
                                record.timestamp()));
                    } else {
                        GenerationResult result = ContractCodec.RESULTS.decode(record.value());
                        add(results, result.requestId(), new Received<>(result, record.partition(), record.offset(),
                                record.timestamp()));
                    }
                }
            }
        } catch (WakeupException stopping) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private static <T> void add(Map<String, List<Received<T>>> map, String requestId, Received<T> received) {
        map.computeIfAbsent(requestId, id -> Collections.synchronizedList(new ArrayList<>())).add(received);
    }

    /** Token events of a request read so far, in offset order. */
    List<Received<TokenEvent>> tokens(String requestId) {
        List<Received<TokenEvent>> read = tokens.getOrDefault(requestId, List.of());
        synchronized (read) {
            return read.stream().sorted(Comparator.comparingLong(Received::offset)).toList();
        }
    }

    /** Results of a request read so far. */
    List<Received<GenerationResult>> results(String requestId) {
        List<Received<GenerationResult>> read = results.getOrDefault(requestId, List.of());
        synchronized (read) {
            return List.copyOf(read);
        }
    }

    /** Waits (generously) for the request's result. */
    Received<GenerationResult> awaitResult(String requestId) {
        await().atMost(Duration.ofSeconds(120)).until(() -> !results(requestId).isEmpty());
        return results(requestId).get(0);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
