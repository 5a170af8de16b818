package io.kaption.worker.cancel;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every cancellation: a consumer without group, assigned all partitions of {@code kaption.cancellations},
 * marking request ids and job ids in {@link CancelledRequests}. Every worker replica reads all of them; the one
 * holding a request acts. Partitions added to the topic while it runs are followed from their start.
 *
 * <p>A job's requests may wait in the bulk lane for days, so job cancellations are read from the past too: at start
 * the listener reads each partition from {@code offsetsForTimes(now - lookback)} up to its end before returning, so
 * a worker started after a job was cancelled still knows it before it consumes a single request. Request
 * cancellations read in that replay are ignored, as before the replay existed: they concern interactive requests
 * this process never saw, long answered.
 */
public final class CancellationListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationListener.class);

    /**
     * How often the listener looks for partitions added to the topic. The consumer's metadata, where it sees them,
     * is itself refreshed every {@code metadata.max.age.ms} (5 minutes by default).
     */
    private static final Duration PARTITION_CHECK = Duration.ofSeconds(30);
    /** How long the replay at start may take before the worker gives up starting. */
    private static final Duration REPLAY_TIMEOUT = Duration.ofMinutes(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Duration partitionCheck;
    private final CancelledRequests cancelled;
    private final Consumer<Throwable> onFatal;
    /** Per partition, the end offset at start: request cancellations before it belong to the replay. */
    private final Map<TopicPartition, Long> replayEnd;
    private final Thread thread;
    private volatile boolean running = true;

    private CancellationListener(KafkaConsumer<byte[], byte[]> consumer, String topic, Duration partitionCheck,
            CancelledRequests cancelled, Consumer<Throwable> onFatal, Map<TopicPartition, Long> replayEnd) {
        this.consumer = consumer;
        this.topic = topic;
        this.partitionCheck = partitionCheck;
        this.cancelled = cancelled;
        this.onFatal = onFatal;
        this.replayEnd = replayEnd;
        this.thread = new Thread(this::run, "kaption-worker-cancellations");
        this.thread.setDaemon(true);
    }

    /**
     * Assigns the consumer, replays the job cancellations of the last {@code lookback} and returns once it has read
     * up to the end offsets of the start, so that every job cancellation published before and every cancellation
     * published after is seen.
     *
     * @param onFatal told when the listener stops on an error (cancellations would no longer be honoured)
     */
    public static CancellationListener start(KafkaConnection kafka, Duration lookback, CancelledRequests cancelled,
            Consumer<Throwable> onFatal) {
        return start(kafka, Topics.CANCELLATIONS, lookback, PARTITION_CHECK, Map.of(), cancelled, onFatal);
    }

    /**
     * @param topic             the cancellations topic
     * @param lookback          how far back job cancellations are replayed
     * @param partitionCheck    how often to look for partitions added to it
     * @param consumerOverrides consumer settings replacing the listener's own
     */
    static CancellationListener start(KafkaConnection kafka, String topic, Duration lookback,
            Duration partitionCheck, Map<String, Object> consumerOverrides, CancelledRequests cancelled,
            Consumer<Throwable> onFatal) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-worker-cancellations",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"));
        config.putAll(consumerOverrides);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumer(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        CancellationListener listener;
        try {
            List<TopicPartition> partitions = partitions(consumer, topic);
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            seekToLookback(consumer, partitions, lookback);
            listener = new CancellationListener(consumer, topic, partitionCheck, cancelled, onFatal, Map.copyOf(ends));
            int replayed = listener.replay(ends);
            LOG.info("following {} ({} partitions); replayed {} cancellations of the last {}", topic,
                    partitions.size(), replayed, lookback);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        listener.thread.start();
        return listener;
    }

    /** Positions each partition at its first record at or after {@code now - lookback}, or at its end. */
    private static void seekToLookback(KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions,
            Duration lookback) {
        long since = Math.max(0, System.currentTimeMillis() - lookback.toMillis());
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(p -> times.put(p, since));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times, Duration.ofSeconds(30));
        List<TopicPartition> none = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = offsets.get(partition);
            if (offset == null) {
                none.add(partition);
            } else {
                consumer.seek(partition, offset.offset());
            }
        }
        if (!none.isEmpty()) { // an empty collection would mean every assigned partition
            consumer.seekToEnd(none);
        }
        partitions.forEach(consumer::position); // resolve the end offsets now, not at the first poll
    }

    /** Reads until every partition reached its end offset of the start; returns how many records were read. */
    private int replay(Map<TopicPartition, Long> ends) {
        long deadline = System.nanoTime() + REPLAY_TIMEOUT.toNanos();
        int read = 0;
        while (ends.entrySet().stream().anyMatch(end -> consumer.position(end.getKey()) < end.getValue())) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("could not read " + topic + " up to " + ends + " within "
                        + REPLAY_TIMEOUT);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                handle(record);
                read++;
            }
        }
        return read;
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
                    handle(record);
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

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        DecodeResult<Cancellation> decoded = ContractCodec.CANCELLATIONS.tryDecode(record.value());
        if (decoded instanceof DecodeResult.Invalid<Cancellation> invalid) {
            // Every replica reads every cancellation: dead-lettering here would park one copy per replica.
            LOG.warn("ignoring invalid cancellation {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), invalid.reason());
            return;
        }
        Cancellation cancellation = ((DecodeResult.Valid<Cancellation>) decoded).value();
        String reason = cancellation.reason() == null ? "no reason given" : cancellation.reason();
        if (cancellation.jobId() != null) {
            LOG.info("job {} cancelled ({})", cancellation.jobId(), reason);
            cancelled.cancelJob(cancellation.jobId(), cancellation.reason(), record.timestamp());
        } else if (record.offset() >= replayEnd.getOrDefault(new TopicPartition(record.topic(), record.partition()),
                0L)) {
            LOG.info("request {} cancelled ({})", cancellation.requestId(), reason);
            cancelled.cancel(cancellation.requestId(), cancellation.reason());
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
