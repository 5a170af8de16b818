package io.kaption.ingest.jobs;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What this replica knows about bucket jobs: one consumer without a group, assigned every partition of
 * {@code kaption.jobs} and {@code kaption.job-status} (both compacted) and reading them from the beginning, keeps the
 * latest spec and status of each job in memory (one entry per job, however many records it had). A job without a
 * status yet shows as {@link JobStatus#submitted}; a status always wins over that.
 *
 * <p>Ready once it has read both topics up to where they ended when it started, so that a job submitted before a
 * restart is known (and its resubmission recognised) before the API answers. It creates the job topics first
 * ({@link TopicProvisioner#jobTopics()}), retrying while Kafka is unreachable.
 */
public final class JobDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobDirectory.class);
    private static final List<String> TOPICS = List.of(Topics.JOBS, Topics.JOB_STATUS);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final Duration PARTITION_REFRESH = Duration.ofSeconds(10);
    private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);
    private static final Duration BROKER_CALL_TIMEOUT = Duration.ofSeconds(10);

    private final JobTable table = new JobTable();
    private final TopicProvisioner provisioner;
    private final Consumer<String, byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Where each partition ended when first assigned; emptied as the consumer passes those offsets. */
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();

    private volatile boolean running = true;
    private volatile boolean ready;
    private boolean provisioned;
    private Set<TopicPartition> assigned = Set.of();
    private long nextRefreshMs;
    private boolean failing;

    private JobDirectory(KafkaConnection kafka, TopicProvisioner provisioner) {
        this.provisioner = provisioner;
        Map<String, Object> properties = new HashMap<>();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "kaption-job-directory-" + UUID.randomUUID());
        // No group: every replica reads both topics whole, nothing is committed.
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(kafka.consumer(properties), new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "kaption-job-directory");
        this.thread.setDaemon(true);
    }

    /**
     * Starts following; returns at once (see {@link #isReady()}).
     *
     * @param provisioner creates the job topics that do not exist yet
     */
    public static JobDirectory start(KafkaConnection kafka, TopicProvisioner provisioner) {
        JobDirectory directory = new JobDirectory(kafka, provisioner);
        directory.thread.start();
        return directory;
    }

    /** Whether both topics have been read up to where they ended when this directory started. */
    public boolean isReady() {
        return ready;
    }

    /** Every job the directory knows, as the API shows it: for metrics (jobs by state, records done). */
    public List<JobStatus> all() {
        return table.all();
    }

    /** The job as the API shows it: its latest status, else its spec as submitted. */
    public Optional<JobStatus> find(String jobId) {
        return table.status(jobId);
    }

    /** The spec of a job, to tell a resubmission from a different job with the same token. */
    public Optional<JobSpec> spec(String jobId) {
        return table.spec(jobId);
    }

    /**
     * Up to {@code limit} jobs newest first after job {@code afterId} (null: from the newest); empty if unknown. With
     * an {@code owner} (an API key's fingerprint) only that key's jobs.
     */
    Optional<JobTable.Page> page(int limit, String afterId, Optional<String> owner) {
        return table.page(limit, afterId, owner);
    }

    /** A job this replica just published: known at once, before the consumer reads it back. */
    public void submitted(JobSpec spec) {
        table.putSpec(spec);
    }

    private void run() {
        try {
            while (running) {
                try {
                    followOnce();
                    if (failing) {
                        failing = false;
                        LOG.info("reading {} again", TOPICS);
                    }
                } catch (WakeupException e) {
                    // close() woke us up; the loop condition ends it
                } catch (RuntimeException e) {
                    if (!failing) {
                        failing = true;
                        LOG.warn("reading {} failed, retrying: {}", TOPICS, e.toString());
                    }
                    pause(ERROR_BACKOFF);
                }
            }
        } finally {
            ready = false;
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void followOnce() {
        if (!provisioned) {
            provisioner.ensure(TopicProvisioner.jobTopics());
            provisioned = true;
        }
        long now = System.currentTimeMillis();
        if (now >= nextRefreshMs) {
            refreshAssignment(now);
        }
        if (assigned.isEmpty()) {
            pause(ERROR_BACKOFF);
            return;
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            handle(record);
        }
        catchUp.entrySet().removeIf(target -> !assigned.contains(target.getKey())
                || consumer.position(target.getKey(), BROKER_CALL_TIMEOUT) >= target.getValue());
        if (!ready && !assigned.isEmpty() && catchUp.isEmpty()) {
            ready = true;
            LOG.info("job directory ready: {} jobs known", table.size());
        }
    }

    /** Follows every partition of both topics; partitions added later are read from their beginning too. */
    private void refreshAssignment(long now) {
        Map<String, List<PartitionInfo>> existing = consumer.listTopics(BROKER_CALL_TIMEOUT);
        Set<TopicPartition> found = new HashSet<>();
        for (String topic : TOPICS) {
            for (PartitionInfo partition : existing.getOrDefault(topic, List.of())) {
                found.add(new TopicPartition(topic, partition.partition()));
            }
        }
        boolean bothTopics = TOPICS.stream().allMatch(topic -> existing.containsKey(topic));
        if (bothTopics && !found.equals(assigned)) {
            Set<TopicPartition> added = new HashSet<>(found);
            added.removeAll(assigned);
            consumer.assign(found);
            consumer.seekToBeginning(added);
            if (assigned.isEmpty()) {
                // Readiness waits for what existed at start only: a busy topic's moving end is never reached for good.
                catchUp.putAll(consumer.endOffsets(added, BROKER_CALL_TIMEOUT));
            }
            assigned = Set.copyOf(found);
            LOG.info("following {} partitions of {} ({} new)", found.size(), TOPICS, added.size());
        }
        nextRefreshMs = now + PARTITION_REFRESH.toMillis();
    }

    // The directory only reads. A record it cannot decode is logged and skipped: every replica reads every record,
    // and parking bad records is the business of whoever writes these topics.
    private void handle(ConsumerRecord<String, byte[]> record) {
        String jobId = record.key();
        if (record.topic().equals(Topics.JOBS)) {
            if (record.value() == null) {
                if (jobId != null) {
                    table.removeJob(jobId);
                }
                return;
            }
            DecodeResult<JobSpec> decoded = ContractCodec.JOBS.tryDecode(record.value());
            if (decoded instanceof DecodeResult.Valid<JobSpec> valid) {
                table.putSpec(valid.value());
            } else {
                skip(record, ((DecodeResult.Invalid<JobSpec>) decoded).reason());
            }
        } else {
            if (record.value() == null) {
                if (jobId != null) {
                    table.removeStatus(jobId);
                }
                return;
            }
            DecodeResult<JobStatus> decoded = ContractCodec.JOB_STATUS.tryDecode(record.value());
            if (decoded instanceof DecodeResult.Valid<JobStatus> valid) {
                table.putStatus(valid.value());
            } else {
                skip(record, ((DecodeResult.Invalid<JobStatus>) decoded).reason());
            }
        }
    }

    private static void skip(ConsumerRecord<String, byte[]> record, String reason) {
        LOG.warn("job_id={}: skipping undecodable record {}-{}@{}: {}", record.key(), record.topic(),
                record.partition(), record.offset(), reason);
    }

    private void pause(Duration duration) {
        try {
            stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        stopping.countDown();
        consumer.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
