package io.kaption.worker.cancel;

import io.kaption.schemas.Cancellation;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every cancellation: a consumer without group, assigned all partitions of {@code kaption.cancellations} and
 * starting at their end (older cancellations concern requests this process never saw), marking request ids in
 * {@link CancelledRequests}. Every worker replica reads all of them; the one holding the request acts. Partitions
 * added to the topic while it runs are followed from their start.
 */
public final class CancellationListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationListener.class);

    /**
     * How often the listener looks for partitions added to the topic. The consumer's metadata, where it sees them,
     * is itself refreshed every {@code metadata.max.age.ms} (5 minutes by default).
     */
    private static final Duration PARTITION_CHECK = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Duration partitionCheck;
    private final CancelledRequests cancelled;
    private final Consumer<Throwable> onFatal;
    private final Thread thread;
    private volatile boolean running = true;

    private CancellationListener(KafkaConsumer<byte[], byte[]> consumer, String topic, Duration partitionCheck,
            CancelledRequests cancelled, Consumer<Throwable> onFatal) {
        this.consumer = consumer;
        this.topic = topic;
        this.partitionCheck = partitionCheck;
        this.cancelled = cancelled;
        this.onFatal = onFatal;
        this.thread = new Thread(this::run, "kaption-worker-cancellations");
        this.thread.setDaemon(true);
    }

    /**
     * Assigns and positions the consumer before returning, so that every cancellation produced afterwards is seen.
     *
     * @param onFatal told when the listener stops on an error (cancellations would no longer be honoured)
     */
    public static CancellationListener start(String bootstrapServers, CancelledRequests cancelled,
            Consumer<Throwable> onFatal) {
        return start(bootstrapServers, Topics.CANCELLATIONS, PARTITION_CHECK, Map.of(), cancelled, onFatal);
    }

    /**
     * @param topic             the cancellations topic
     * @param partitionCheck    how often to look for partitions added to it
     * @param consumerOverrides consumer settings replacing the listener's own
     */
    static CancellationListener start(String bootstrapServers, String topic, Duration partitionCheck,
            Map<String, Object> consumerOverrides, CancelledRequests cancelled, Consumer<Throwable> onFatal) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-worker-cancellations",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"));
        config.putAll(consumerOverrides);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = partitions(consumer, topic);
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end offsets now, not at the first poll
            LOG.info("following {} ({} partitions) from their end", topic, partitions.size());
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        CancellationListener listener = new CancellationListener(consumer, topic, partitionCheck, cancelled, onFatal);
        listener.thread.start();
        return listener;
    }

    private void run() {
        try {
            long nextPartitionCheck = System.nanoTime() + partitionCheck.toNanos();
            while (running) {
                if (System.nanoTime() - nextPartitionCheck >= 0) {
                    followAddedPartitions();
                    nextPartitionCheck = System.nanoTime() + partitionCheck.toNanos();
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    DecodeResult<Cancellation> decoded = ContractCodec.CANCELLATIONS.tryDecode(record.value());
                    if (decoded instanceof DecodeResult.Valid<Cancellation> valid) {
                        Cancellation cancellation = valid.value();
                        LOG.info("request {} cancelled ({})", cancellation.requestId(),
                                cancellation.reason() == null ? "no reason given" : cancellation.reason());
                        cancelled.cancel(cancellation.requestId(), cancellation.reason());
                    } else if (decoded instanceof DecodeResult.Invalid<Cancellation> invalid) {
                        // Every replica reads every cancellation: dead-lettering here would park one copy per replica.
                        LOG.warn("ignoring invalid cancellation {}-{}@{}: {}", record.topic(), record.partition(),
                                record.offset(), invalid.reason());
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("the cancellation listener was woken up unexpectedly; the worker stops", e);
                onFatal.accept(e);
            }
        } catch (RuntimeException e) {
            LOG.error("the cancellation listener failed; the worker stops", e);
            onFatal.accept(e);
        } finally {
            consumer.close();
        }
    }

    /**
     * Ingest keys cancellations by request id, so once partitions are added to the topic some cancellations land
     * there: follow them too, from their start (they hold only what was written since they were added).
     */
    private void followAddedPartitions() {
        Set<TopicPartition> assigned = consumer.assignment();
        List<TopicPartition> added;
        try {
            added = partitions(consumer, topic).stream().filter(p -> !assigned.contains(p)).toList();
        } catch (WakeupException closing) {
            throw closing;
        } catch (KafkaException e) {
            LOG.warn("could not look for partitions added to {}; trying again later: {}", topic, e.toString());
            return;
        }
        if (added.isEmpty()) {
            return;
        }
        Set<TopicPartition> all = new HashSet<>(assigned);
        all.addAll(added);
        consumer.assign(all);
        consumer.seekToBeginning(added);
        LOG.info("following partitions {} added to {}", added, topic);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
