package io.kaption.jobs.planning;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a job's latest committed {@link JobPlan}: reads the {@code kaption.job-plans} partition of the job's key
 * (Kafka's default partitioner: murmur2 of the key) from its start to its last stable offset, read_committed.
 */
final class PlanReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlanReader.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final KafkaConsumer<byte[], byte[]> consumer;

    PlanReader(KafkaConnection kafka) {
        this.consumer = new KafkaConsumer<>(kafka.consumer(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-job-planner-plans",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The job's latest plan, or null when it has none. */
    JobPlan latest(String jobId) {
        byte[] key = jobId.getBytes(StandardCharsets.UTF_8);
        int partitions = consumer.partitionsFor(Topics.JOB_PLANS, TIMEOUT).size();
        if (partitions == 0) {
            throw new IllegalStateException("topic " + Topics.JOB_PLANS + " does not exist");
        }
        TopicPartition partition = new TopicPartition(Topics.JOB_PLANS, Utils.toPositive(Utils.murmur2(key)) % partitions);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JobPlan latest = null;
        while (consumer.position(partition, TIMEOUT) < end) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("reading " + partition + " to offset " + end + " took over " + TIMEOUT);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.key() == null || !Arrays.equals(key, record.key()) || record.offset() >= end) {
                    continue;
                }
                if (record.value() == null) {
                    latest = null; // a tombstone deletes the plan
                    continue;
                }
                DecodeResult<JobPlan> decoded = ContractCodec.JOB_PLANS.tryDecode(record.value());
                if (decoded instanceof DecodeResult.Valid<JobPlan> valid) {
                    latest = valid.value();
                } else {
                    LOG.warn("job {}: ignoring an unreadable plan at {}@{}", jobId, partition, record.offset());
                }
            }
        }
        return latest;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
