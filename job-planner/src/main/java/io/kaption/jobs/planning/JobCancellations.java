package io.kaption.jobs.planning;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ids of cancelled jobs: a consumer without group, assigned all partitions of {@code kaption.cancellations} from
 * {@code lookback} ago (a planner that restarts must still see the cancellation of a job it resumes), collecting the
 * job ids of job cancellations. Request cancellations are skipped.
 */
final class JobCancellations implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobCancellations.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Map<TopicPartition, Long> startEnd;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Consumer<Throwable> onFatal;
    private final Thread thread;
    private volatile boolean running = true;

    private JobCancellations(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> startEnd,
                             Consumer<Throwable> onFatal) {
        this.consumer = consumer;
        this.startEnd = startEnd;
        this.onFatal = onFatal;
        this.thread = new Thread(this::run, "kaption-job-planner-cancellations");
        this.thread.setDaemon(true);
    }

    /** Positions the consumer at {@code lookback} ago and starts reading. */
    static JobCancellations start(KafkaConnection kafka, Duration lookback, Consumer<Throwable> onFatal) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumer(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-job-planner-cancellations",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.CANCELLATIONS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.CANCELLATIONS + " does not exist");
            }
            consumer.assign(partitions);
            long since = Instant.now().minus(lookback).toEpochMilli();
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, since));
            Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times, Duration.ofSeconds(30));
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            for (TopicPartition partition : partitions) {
                OffsetAndTimestamp at = offsets.get(partition);
                consumer.seek(partition, at == null ? ends.get(partition) : at.offset());
            }
            LOG.info("following job cancellations on {} ({} partitions) from {} ago", Topics.CANCELLATIONS,
                    partitions.size(), lookback);
            JobCancellations cancellations = new JobCancellations(consumer, ends, onFatal);
            cancellations.thread.start();
            return cancellations;
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    boolean isCancelled(String jobId) {
        return cancelled.contains(jobId);
    }

    /**
     * Waits until the cancellations that existed at start are read, so that no job cancelled before is planned on.
     * False when {@code timeout} passed first.
     */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    DecodeResult<Cancellation> decoded = ContractCodec.CANCELLATIONS.tryDecode(record.value());
                    if (decoded instanceof DecodeResult.Valid<Cancellation> valid && valid.value().jobId() != null
                            && cancelled.add(valid.value().jobId())) {
                        LOG.info("job {} cancelled", valid.value().jobId());
                    }
                }
                if (caughtUp.getCount() > 0 && startEnd.entrySet().stream()
                        .allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("the job cancellation follower was woken up unexpectedly; the planner stops", e);
                onFatal.accept(e);
            }
        } catch (RuntimeException e) {
            LOG.error("the job cancellation follower failed; the planner stops", e);
            onFatal.accept(e);
        } finally {
            consumer.close();
        }
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
