package io.kaption.sink.jobs.shards;

import io.kaption.kit.kafka.GroupMembership;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterPublisher;
import io.kaption.schemas.jobs.JobOutputs;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.sink.output.PutFailures;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Writes bucket jobs' outputs from {@code kaption.job-records}: shard {@code n} of a type holds exactly the seqs
 * {@code [n·N, (n+1)·N)} and is put to {@code <output>/<job_id>/results-%05d.jsonl} or {@code errors-%05d.jsonl} as
 * soon as it is complete; a job's {@code end} puts its last partial shards and {@code manifest.json}, then reports
 * {@link JobOutputs} on {@code kaption.job-outputs} (acknowledged before the end's offset is committed).
 *
 * <p>One consumer in consumer group {@value #GROUP_ID} ({@code read_committed}: the topology writes in transactions).
 * A partition is committed only up to the first line of its oldest shard still unwritten ({@link PartitionShards}),
 * so a restarted or rebalanced writer reads every unwritten shard again from its first line, and drops the lines of
 * shards written before. Rewriting a shard, the manifest, or re-publishing JobOutputs gives the same content.
 *
 * <p>Transient S3 failures are retried with capped backoff, never skipped. A permanent one (NoSuchBucket,
 * AccessDenied, …) dead-letters the record being handled to {@code <records topic>.dlq} and gives up on that job (its
 * later records are dropped, its end dead-lettered too, no JobOutputs): other jobs go on.
 */
public final class JobShardWriter implements AutoCloseable {

    public static final String GROUP_ID = "kaption-sink-job-shards";

    private static final Logger log = LoggerFactory.getLogger(JobShardWriter.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final JobShardWriterConfig config;
    private final S3Client s3;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final DeadLetterPublisher deadLetters;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    // The fields below are used on the writer thread only (the rebalance listener runs inside its polls).
    private final Map<TopicPartition, PartitionShards> partitions = new HashMap<>();
    /** Offset after the last record handled, per partition, since it was assigned. */
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    /** Partitions revoked since the last poll returned: the rest of that poll's records are not theirs any more. */
    private final Set<TopicPartition> revokedSincePoll = new HashSet<>();
    private volatile boolean running = true;
    /** False for a writer stopped as if it had crashed: nothing more is committed. */
    private volatile boolean commitOnStop = true;
    /** True while a put is being retried: partitions assigned meanwhile stay paused until it is done. */
    private boolean retrying;

    private JobShardWriter(JobShardWriterConfig config, GroupMembership membership, S3Client s3,
                           Consumer<String> deadLettered) {
        this.config = config;
        this.s3 = s3;
        Map<String, Object> own = new HashMap<>(membership.consumerProperties());
        own.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500));
        this.consumer = new KafkaConsumer<>(config.kafka().consumer(own), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(config.kafka().producer(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES)),
                new ByteArraySerializer(), new ByteArraySerializer());
        this.deadLetters = new DeadLetterPublisher(producer, deadLettered);
        this.thread = new Thread(this::run, "kaption-job-shard-writer");
    }

    /**
     * Creates the records topic, the outputs topic and {@code <records topic>.dlq} if missing, joins the consumer
     * group and starts writing. {@code s3} stays the caller's (not closed here).
     */
    public static JobShardWriter start(JobShardWriterConfig config, S3Client s3) {
        return start(config, s3, topic -> { });
    }

    /** Like {@link #start(JobShardWriterConfig, S3Client)}, telling {@code deadLettered} the topic of each record
     *  dead-lettered (to count them). */
    public static JobShardWriter start(JobShardWriterConfig config, S3Client s3, Consumer<String> deadLettered) {
        return start(config, GroupMembership.of(GroupMembership.DEFAULT_SESSION_TIMEOUT, Optional.empty()), s3,
                deadLettered);
    }

    /** Like the above, holding its group membership as {@code membership} says (session timeout, static id). */
    public static JobShardWriter start(JobShardWriterConfig config, GroupMembership membership, S3Client s3,
                                       Consumer<String> deadLettered) {
        try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
            new TopicProvisioner(admin, config.topics()).ensure(List.of(config.recordsTopic(), config.outputsTopic(),
                    Topics.dlq(config.recordsTopic())));
        }
        JobShardWriter writer = new JobShardWriter(config, membership, s3, deadLettered);
        writer.thread.start();
        log.info("writing job shards of {} lines from {} (consumer group {})", config.shardRecords(),
                config.recordsTopic(), config.groupId());
        return writer;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(config.recordsTopic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                    commitProgress(revoked);
                    forget(revoked);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> lost) {
                    forget(lost); // another writer owns them already: committing would fail
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                    assigned.forEach(partition -> partitions.put(partition,
                            new PartitionShards(config.shardRecords())));
                    if (retrying) {
                        consumer.pause(assigned);
                    }
                }
            });
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                revokedSincePoll.clear();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (isRevoked(partition)) {
                        continue; // revoked while an earlier record was handled: its new owner reads it again
                    }
                    Outcome outcome = handle(record, partition);
                    if (outcome == Outcome.STOPPED) {
                        break;
                    }
                    if (outcome == Outcome.DONE) {
                        positions.put(partition, record.offset() + 1);
                    }
                }
                commitProgress(consumer.assignment());
            }
        } catch (WakeupException e) {
            // close() while polling
        } catch (RuntimeException e) {
            log.error("job shard writer stopped: {}", e.toString(), e);
        } finally {
            try {
                commitProgress(consumer.assignment());
            } catch (WakeupException e) {
                commitProgress(consumer.assignment()); // the wake-up of close() was pending: this commit counts
            } catch (RuntimeException e) {
                log.warn("could not commit the job shard writer's offsets: {}", e.toString());
            } finally {
                // Leaves the group also as a static member: its partitions go to another replica at once.
                consumer.close(CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP));
                producer.close();
                stopped.countDown();
            }
        }
    }

    private enum Outcome {
        /** Written, dropped, dead-lettered: the record is handled. */
        DONE,
        /** Its partition was revoked while a write was retried: the partition's new owner reads it again. */
        REVOKED,
        /** The writer stops before the record was handled. */
        STOPPED
    }

    /** S3 refused a put for good. */
    private static final class PermanentFailure extends Exception {
        PermanentFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Outcome handle(ConsumerRecord<byte[], byte[]> record, TopicPartition partition) {
        DecodeResult<JobRecord> decoded = record.value() == null ? null
                : ContractCodec.JOB_RECORDS.tryDecode(record.value());
        if (!(decoded instanceof DecodeResult.Valid<JobRecord> valid)) {
            log.warn("skipping undecodable job record {} at {}-{}@{}", key(record), record.topic(), record.partition(),
                    record.offset());
            return Outcome.DONE;
        }
        JobRecord jobRecord = valid.value();
        PartitionShards shards = partitions.get(partition);
        if (jobRecord.type() == JobRecordType.END) {
            return end(record, partition, shards, jobRecord);
        }
        PartitionShards.Added added = shards.add(record.offset(), jobRecord);
        if (added instanceof PartitionShards.Added.Dropped dropped) {
            log.debug("dropped {} line {} of {}: {}", jobRecord.type(), jobRecord.seq(), jobRecord.jobId(),
                    dropped.why());
        }
        if (!(added instanceof PartitionShards.Added.Completed completed)) {
            return Outcome.DONE;
        }
        Shard shard = completed.shard();
        try {
            Outcome outcome = put(partition, shard.jobId(), shard.output(), shard.name(), shard.bytes(),
                    ShardFiles.CONTENT_TYPE_JSONL);
            if (outcome == Outcome.DONE) {
                shards.written(shard);
            }
            return outcome;
        } catch (PermanentFailure e) {
            return giveUp(record, partition, shards, jobRecord.jobId(), e.getMessage(), e.getCause());
        }
    }

    /** The job's last partial shards, its manifest, then its JobOutputs, acknowledged. */
    private Outcome end(ConsumerRecord<byte[], byte[]> record, TopicPartition partition, PartitionShards shards,
                        JobRecord end) {
        String jobId = end.jobId();
        String failure = shards.failure(jobId);
        if (failure != null) {
            return deadLetter(record, partition, "outputs of job " + jobId + " were not written: " + failure, null);
        }
        try {
            List<Shard> last;
            try {
                last = shards.lastShards(end);
            } catch (IllegalStateException e) {
                throw new PermanentFailure(e.getMessage(), e);
            }
            for (Shard shard : last) {
                Outcome outcome = put(partition, jobId, shard.output(), shard.name(), shard.bytes(),
                        ShardFiles.CONTENT_TYPE_JSONL);
                if (outcome != Outcome.DONE) {
                    return outcome;
                }
                shards.written(shard);
            }
            Outcome manifest = put(partition, jobId, end.output(), ShardFiles.MANIFEST,
                    ShardFiles.manifest(end.status(), config.shardRecords()), ShardFiles.CONTENT_TYPE_JSON);
            if (manifest != Outcome.DONE) {
                return manifest;
            }
        } catch (PermanentFailure e) {
            return giveUp(record, partition, shards, jobId, e.getMessage(), e.getCause());
        }
        JobOutputLocation location = JobOutputLocation.of(end.output(), jobId);
        JobOutputs outputs = new JobOutputs(jobId, location.uri(ShardFiles.MANIFEST),
                ShardFiles.shardCount(end.status().counts().completed(), config.shardRecords()),
                ShardFiles.shardCount(end.status().counts().failed(), config.shardRecords()), Instant.now());
        Outcome published = retrying(partition, "publish the outputs of " + jobId, () -> {
            producer.send(new ProducerRecord<>(config.outputsTopic(), jobId.getBytes(StandardCharsets.UTF_8),
                    ContractCodec.JOB_OUTPUTS.encode(outputs))).get();
            return null;
        });
        if (published == Outcome.DONE) {
            shards.finished(jobId);
            log.info("job {} outputs written: {} ({} result and {} error shards, state {})", jobId,
                    outputs.manifestUri(), outputs.resultShards(), outputs.errorShards(), end.status().state());
        }
        return published;
    }

    /** A job whose outputs cannot be written: its record goes to the dead-letter topic, the job is given up here. */
    private Outcome giveUp(ConsumerRecord<byte[], byte[]> record, TopicPartition partition, PartitionShards shards,
                           String jobId, String reason, Throwable cause) {
        log.error("GIVING UP on the outputs of job {}: {}; its record at {}-{}@{} goes to {}, its later records are "
                        + "not written", jobId, reason, record.topic(), record.partition(), record.offset(),
                Topics.dlq(record.topic()));
        shards.failed(jobId, reason);
        return deadLetter(record, partition, "cannot write the outputs of job " + jobId + ": " + reason, cause);
    }

    private Outcome deadLetter(ConsumerRecord<byte[], byte[]> record, TopicPartition partition, String reason,
                               Throwable cause) {
        return retrying(partition, "dead-letter " + record.topic() + "-" + record.partition() + "@" + record.offset(),
                () -> {
                    deadLetters.publish(record, reason, cause);
                    return null;
                });
    }

    /**
     * Puts {@code <output>/<job_id>/<name>}, retrying transient failures until it succeeds, the partition is revoked,
     * or the writer stops.
     */
    private Outcome put(TopicPartition partition, String jobId, String output, String name, byte[] bytes,
                        String contentType) throws PermanentFailure {
        JobOutputLocation location;
        try {
            location = JobOutputLocation.of(output, jobId);
        } catch (IllegalArgumentException e) {
            throw new PermanentFailure(e.getMessage(), e);
        }
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                s3.putObject(PutObjectRequest.builder().bucket(location.bucket()).key(location.key(name))
                        .contentType(contentType).build(), RequestBody.fromBytes(bytes));
                log.info("wrote {} of job {} ({} bytes)", location.uri(name), jobId, bytes.length);
                return Outcome.DONE;
            } catch (RuntimeException e) {
                if (PutFailures.isPermanent(e)) {
                    throw new PermanentFailure(location.uri(name) + ": " + PutFailures.describe(e), e);
                }
                log.warn("could not write {} of job {}, trying again in {} ms: {}", location.uri(name), jobId,
                        backoff.toMillis(), PutFailures.describe(e));
            }
            Outcome waited = backOff(partition, backoff);
            if (waited != Outcome.DONE) {
                return waited;
            }
            backoff = next(backoff);
        }
    }

    private interface KafkaAction {
        Void run() throws ExecutionException, InterruptedException;
    }

    /** Runs a produce until the broker acknowledges it, the partition is revoked, or the writer stops. */
    private Outcome retrying(TopicPartition partition, String what, KafkaAction action) {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                action.run();
                return Outcome.DONE;
            } catch (ExecutionException | KafkaException e) {
                log.warn("could not {}, trying again in {} ms: {}", what, backoff.toMillis(),
                        e instanceof ExecutionException ? e.getCause() : e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.STOPPED;
            }
            Outcome waited = backOff(partition, backoff);
            if (waited != Outcome.DONE) {
                return waited;
            }
            backoff = next(backoff);
        }
    }

    private static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    /**
     * Waits {@code backoff} in a poll of paused partitions, so the consumer keeps its group membership however long
     * S3 stays down. DONE to try again; STOPPED or REVOKED when there is no point.
     */
    private Outcome backOff(TopicPartition partition, Duration backoff) {
        if (!running) {
            return Outcome.STOPPED;
        }
        retrying = true;
        consumer.pause(consumer.assignment());
        try {
            ConsumerRecords<byte[], byte[]> none = consumer.poll(backoff);
            if (!none.isEmpty()) {
                throw new IllegalStateException("a paused consumer returned records");
            }
        } finally {
            consumer.resume(consumer.paused());
            retrying = false;
        }
        if (!running) {
            return Outcome.STOPPED;
        }
        return isRevoked(partition) ? Outcome.REVOKED : Outcome.DONE;
    }

    private boolean isRevoked(TopicPartition partition) {
        return revokedSincePoll.contains(partition) || !partitions.containsKey(partition);
    }

    /**
     * Commits each partition up to the first line of its oldest unwritten shard, or the offset after its last handled
     * record when nothing is buffered.
     */
    private void commitProgress(Collection<TopicPartition> toCommit) {
        if (!commitOnStop) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : toCommit) {
            PartitionShards shards = partitions.get(partition);
            Long position = positions.get(partition);
            if (shards == null || position == null) {
                continue; // nothing handled since the assignment
            }
            long offset = shards.commitOffset(position);
            if (!Long.valueOf(offset).equals(committed.get(partition))) {
                offsets.put(partition, new OffsetAndMetadata(offset));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
        } catch (CommitFailedException e) {
            // Another writer owns the partitions now and reads the unwritten lines again.
            log.warn("could not commit the job shard writer's offsets {}: {}", offsets, e.getMessage());
        }
    }

    private void forget(Collection<TopicPartition> gone) {
        for (TopicPartition partition : gone) {
            PartitionShards shards = partitions.remove(partition);
            if (shards != null && shards.bufferedLines() > 0) {
                log.info("{} no longer assigned: {} buffered job lines are left to its next owner", partition,
                        shards.bufferedLines());
            }
            positions.remove(partition);
            committed.remove(partition);
        }
        revokedSincePoll.addAll(gone);
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /** False once the writing loop has ended, by {@link #close()} or by an error it could not recover from. */
    public boolean isAlive() {
        return stopped.getCount() > 0;
    }

    /** Stops after the write in progress, commits what was written, and leaves the consumer group. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            if (!stopped.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("job shard writer did not stop within {} s", STOP_WAIT.toSeconds());
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("job shard writer stopped");
    }

    /** Stops like a crashed process would: whatever it wrote since its last commit is not committed. For tests. */
    void crash() {
        commitOnStop = false;
        close();
    }
}
