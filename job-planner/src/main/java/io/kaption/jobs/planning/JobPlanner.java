package io.kaption.jobs.planning;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.schemas.serde.InvalidRecordException;
import io.kaption.schemas.topics.TopicProvisioner;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
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
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Plans bucket jobs: reads {@link JobSpec}s from {@code kaption.jobs} (consumer group {@value #GROUP_ID}) and turns
 * each job's input into requests on {@code kaption.bulk.<group>}, one page at a time, one job at a time per
 * partition.
 *
 * <p>Every page is one Kafka transaction holding its requests, the {@code invalid_record} results of the records that
 * cannot become requests, the job's {@link JobPlan} checkpoint, and the consumer offset of the job's spec (the spec's
 * own offset while the job is planned, the next one once it is done). So a planner that crashes, or loses the
 * partition in a rebalance, leaves either a whole page or nothing: its successor reads the last committed checkpoint
 * and goes on from there, and a planner that lost its partition cannot commit (its consumer generation is stale).
 * Request ids are {@code <job_id>-<n>} in planning order, so a page planned again gets the same ids.
 */
public final class JobPlanner implements AutoCloseable {

    public static final String GROUP_ID = "kaption-job-planner";
    public static final String TRANSACTIONAL_ID_PREFIX = "kaption-job-planner-";

    private static final Logger LOG = LoggerFactory.getLogger(JobPlanner.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);
    private static final Duration CATCH_UP_WAIT = Duration.ofMinutes(5);

    /** Called inside each page's transaction just before it commits; lets tests crash a planner mid-transaction. */
    interface PageHook {
        PageHook NONE = checkpoint -> { };

        void beforeCommit(JobPlan checkpoint);
    }

    private final JobPlannerConfig config;
    private final S3Client s3;
    private final boolean ownsS3;
    private final PageHook hook;
    private final Admin admin;
    /** Creates a producer with the planner's transactional id and initialises its transactions. */
    private final Supplier<KafkaProducer<String, byte[]>> producers;
    /** Null after one was closed in an error state it could not leave, until the next transaction. */
    private KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final PlanReader plans;
    private final JobCancellations cancellations;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Set<String> provisionedGroups = new HashSet<>();
    /** Partitions revoked or lost since the current batch was polled; planner thread only. */
    private final Set<TopicPartition> lost = new HashSet<>();
    private volatile boolean running = true;
    private volatile Throwable failure;
    /** True while a batch of specs is planned: partitions assigned meanwhile stay paused. Planner thread only. */
    private boolean planning;
    private boolean inTransaction;

    private JobPlanner(JobPlannerConfig config, S3Client s3, boolean ownsS3, PageHook hook, Admin admin,
                       Supplier<KafkaProducer<String, byte[]>> producers, KafkaProducer<String, byte[]> producer) {
        this.config = config;
        this.s3 = s3;
        this.ownsS3 = ownsS3;
        this.hook = hook;
        this.admin = admin;
        this.producers = producers;
        this.producer = producer;
        // The session timeout bounds how long a crashed planner's jobs wait for another replica (Kafka's default: 45 s).
        Map<String, Object> own = new HashMap<>(config.membership().consumerProperties());
        own.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID,
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-job-planner-" + config.instanceId(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                // A job can take long; few specs per poll keep those behind it with a replica that has time.
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5));
        this.consumer = new KafkaConsumer<>(config.kafka().consumer(own), new StringDeserializer(),
                new ByteArrayDeserializer());
        this.plans = new PlanReader(config.kafka());
        try {
            this.cancellations = JobCancellations.start(config.kafka(), config.cancellationLookback(),
                    this::fail);
        } catch (RuntimeException e) {
            plans.close();
            consumer.close();
            throw e;
        }
        this.thread = new Thread(this::run, "kaption-job-planner");
    }

    /** Creates the job topics if missing and starts planning, with an S3 client of its own. */
    public static JobPlanner start(JobPlannerConfig config) {
        S3Client s3 = config.s3Client();
        try {
            return start(config, s3, true, PageHook.NONE);
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    /** Like {@link #start(JobPlannerConfig)}, reading S3 through {@code s3}, which stays the caller's. */
    public static JobPlanner start(JobPlannerConfig config, S3Client s3) {
        return start(config, s3, false, PageHook.NONE);
    }

    static JobPlanner start(JobPlannerConfig config, S3Client s3, boolean ownsS3, PageHook hook) {
        Admin admin = Admin.create(config.kafka().admin(Map.of()));
        KafkaProducer<String, byte[]> producer = null;
        try {
            List<String> topics = new ArrayList<>(TopicProvisioner.jobTopics());
            topics.add(Topics.RESULTS);
            topics.add(Topics.CANCELLATIONS);
            new TopicProvisioner(admin, config.topics()).ensure(topics);
            Supplier<KafkaProducer<String, byte[]>> producers = () -> transactionalProducer(config);
            producer = producers.get();
            JobPlanner planner = new JobPlanner(config, s3, ownsS3, hook, admin, producers, producer);
            planner.thread.start();
            LOG.info("job planner {} started (page size {}, transactional id {})", config.instanceId(),
                    config.pageSize(), config.transactionalId());
            return planner;
        } catch (RuntimeException e) {
            if (producer != null) {
                producer.close(Duration.ZERO);
            }
            admin.close();
            throw e;
        }
    }

    private static KafkaProducer<String, byte[]> transactionalProducer(JobPlannerConfig config) {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config.kafka().producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // A page's transaction only produces (the listing happens before it): seconds at most. A planner
                // killed mid-transaction holds back read_committed readers of the bulk lane, kaption.results and
                // kaption.job-plans until this runs out, unless a successor with its instance id aborts it first.
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000)),
                new StringSerializer(), new ByteArraySerializer());
        try {
            // Aborts whatever a previous producer of this instance id left open.
            producer.initTransactions();
            return producer;
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /** False once planning has stopped, by {@link #close()} or by an error it could not recover from. */
    public boolean isAlive() {
        return stopped.getCount() > 0;
    }

    /** The error that stopped the planner, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Whether this planner has read a cancellation of {@code jobId}. */
    boolean knowsCancelled(String jobId) {
        return cancellations.isCancelled(jobId);
    }

    /** Whether {@link #close()} was called or the planner is stopping on an error. */
    boolean stopping() {
        return !running;
    }

    private void fail(Throwable error) {
        if (failure == null) {
            failure = error;
        }
        running = false;
        consumer.wakeup();
    }

    /** Ends a job's planning early: its partition was revoked, or the planner stops. */
    private static final class JobInterrupted extends RuntimeException {
        JobInterrupted(String message) {
            super(message, null, false, false);
        }
    }

    private enum Outcome { COMMITTED, RETRY, FENCED }

    private void run() {
        try {
            if (!cancellations.awaitCaughtUp(CATCH_UP_WAIT)) {
                throw new IllegalStateException("could not read " + Topics.CANCELLATIONS + " to its end within "
                        + CATCH_UP_WAIT);
            }
            consumer.subscribe(List.of(Topics.JOBS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    lost.addAll(partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    lost.addAll(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (planning) {
                        consumer.pause(partitions);
                    }
                }
            });
            while (running) {
                ConsumerRecords<String, byte[]> specs = consumer.poll(POLL);
                lost.clear();
                if (specs.isEmpty()) {
                    continue;
                }
                planning = true;
                consumer.pause(consumer.assignment());
                try {
                    for (TopicPartition partition : specs.partitions()) {
                        for (ConsumerRecord<String, byte[]> spec : specs.records(partition)) {
                            if (!running || lost.contains(partition) || !plan(spec, partition)) {
                                break;
                            }
                        }
                    }
                } finally {
                    planning = false;
                    consumer.resume(consumer.paused());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                fail(e);
                LOG.error("job planner {} was woken up unexpectedly and stops", config.instanceId(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        } catch (RuntimeException | Error e) {
            fail(e);
            LOG.error("job planner {} stops: {}", config.instanceId(), e.toString(), e);
        } finally {
            shutDown();
        }
    }

    /**
     * Plans the job of one spec record. False when the rest of the partition's batch must not be planned: the
     * partition was revoked, or a fenced transaction sent its position back to this spec.
     */
    private boolean plan(ConsumerRecord<String, byte[]> record, TopicPartition partition) {
        DecodeResult<JobSpec> decoded = record.value() == null ? null : ContractCodec.JOBS.tryDecode(record.value());
        try {
            if (!(decoded instanceof DecodeResult.Valid<JobSpec> valid)) {
                LOG.warn("skipping {} job spec {} at {}@{}", record.value() == null ? "deleted" : "invalid",
                        record.key(), partition, record.offset());
                return transact(partition, record.offset() + 1, "skipping a spec", () -> List.of());
            }
            return planJob(valid.value(), partition, record.offset());
        } catch (JobInterrupted e) {
            LOG.info("{}", e.getMessage());
            return false;
        }
    }

    private boolean planJob(JobSpec spec, TopicPartition partition, long specOffset) {
        String jobId = spec.jobId();
        JobPlan plan = retrying(partition, "reading the plan of job " + jobId, () -> plans.latest(jobId));
        if (plan != null && plan.done()) {
            LOG.info("job {} already planned ({} records); its spec at {}@{} is skipped", jobId, plan.records(),
                    partition, specOffset);
            return transact(partition, specOffset + 1, "skipping the spec of job " + jobId, () -> List.of());
        }
        retrying(partition, "creating the bulk topics of consumer group " + spec.consumerGroup(), () -> {
            if (!provisionedGroups.contains(spec.consumerGroup())) {
                new TopicProvisioner(admin, config.topics()).ensure(TopicProvisioner.bulkTopics(spec.consumerGroup()));
                provisionedGroups.add(spec.consumerGroup());
            }
            return null;
        });
        if (plan == null) {
            LOG.info("job {} planning started (input {}, format {}, consumer group {})", jobId, spec.input(),
                    spec.inputFormat().name().toLowerCase(Locale.ROOT), spec.consumerGroup());
        } else {
            LOG.info("job {} planning resumed after {} records", jobId, plan.records());
        }
        PageSource source = null;
        Duration backoff = FIRST_BACKOFF;
        try {
            while (true) {
                keepAlive(partition, jobId);
                if (cancellations.isCancelled(jobId)) {
                    JobPlan cancelled = finalPlan(jobId, plan, true, null);
                    boolean committed = transact(partition, specOffset + 1, "cancelling job " + jobId,
                            () -> List.of(planRecord(cancelled)));
                    if (committed) {
                        LOG.info("job {} cancelled: planning stopped after {} records", jobId, cancelled.records());
                    }
                    return committed;
                }
                Page page;
                try {
                    if (source == null) {
                        source = PageSource.open(s3, spec, plan, config.pageSize(), config.maxLineBytes());
                    }
                    page = source.next(plan == null ? 0 : plan.records(), Instant.now());
                } catch (InputUnreadableException e) {
                    JobPlan failed = finalPlan(jobId, plan, false, new GenerationResult.Failure(e.code(),
                            e.getMessage()));
                    boolean committed = transact(partition, specOffset + 1, "ending job " + jobId,
                            () -> List.of(planRecord(failed)));
                    if (committed) {
                        LOG.warn("job {} failed after {} records: {} {}", jobId, failed.records(), e.code(),
                                e.getMessage());
                    }
                    return committed;
                } catch (SdkException | UncheckedIOException e) {
                    LOG.warn("job {}: reading {} failed, trying again in {} ms: {}", jobId, spec.input(),
                            backoff.toMillis(), S3Failures.describe(e));
                    source = closed(source);
                    backoff = waitBefore(partition, jobId, backoff);
                    continue;
                }
                JobPlan checkpoint = new JobPlan(jobId, (plan == null ? 0 : plan.records()) + page.records().size(),
                        page.lastKey() != null ? page.lastKey() : plan == null ? null : plan.lastKey(),
                        page.byteOffset(), page.last(), false, null, Instant.now());
                Outcome outcome = publish(partition, page.last() ? specOffset + 1 : specOffset, page.records(),
                        checkpoint, spec.consumerGroup());
                if (outcome == Outcome.FENCED) {
                    return rewind(partition, specOffset, jobId);
                }
                if (outcome == Outcome.RETRY) {
                    source = closed(source);
                    backoff = waitBefore(partition, jobId, backoff);
                    continue;
                }
                plan = checkpoint;
                backoff = FIRST_BACKOFF;
                if (page.last()) {
                    LOG.info("job {} planning finished: {} records", jobId, plan.records());
                    return true;
                }
            }
        } finally {
            closed(source);
        }
    }

    private static JobPlan finalPlan(String jobId, JobPlan plan, boolean cancelled, GenerationResult.Failure error) {
        return new JobPlan(jobId, plan == null ? 0 : plan.records(), plan == null ? null : plan.lastKey(),
                plan == null ? null : plan.byteOffset(), true, cancelled, error, Instant.now());
    }

    private static PageSource closed(PageSource source) {
        if (source != null) {
            source.close();
        }
        return null;
    }

    private static ProducerRecord<String, byte[]> planRecord(JobPlan plan) {
        return new ProducerRecord<>(Topics.JOB_PLANS, plan.jobId(), ContractCodec.JOB_PLANS.encode(plan));
    }

    /** One page's transaction: its records, its checkpoint and the spec's consumer offset. */
    private Outcome publish(TopicPartition partition, long offset, List<PlannedRecord> records, JobPlan checkpoint,
                            String consumerGroup) {
        String bulkTopic = Topics.bulkRequests(consumerGroup);
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(records.size() + 1);
        for (PlannedRecord record : records) {
            if (record instanceof PlannedRecord.Request request) {
                out.add(new ProducerRecord<>(bulkTopic, request.requestId(), request.value()));
            } else if (record instanceof PlannedRecord.Refused refused) {
                out.add(new ProducerRecord<>(Topics.RESULTS, refused.requestId(),
                        ContractCodec.RESULTS.encode(refused.result())));
            }
        }
        out.add(planRecord(checkpoint));
        return transaction(partition, offset, out, checkpoint);
    }

    /**
     * A transaction of {@code records} (built on each try) and the spec's next offset, tried until it commits. False
     * when it was fenced (see {@link #rewind}).
     */
    private boolean transact(TopicPartition partition, long offset, String what,
                             Supplier<List<ProducerRecord<String, byte[]>>> records) {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            Outcome outcome = transaction(partition, offset, records.get(), null);
            if (outcome == Outcome.COMMITTED) {
                return true;
            }
            if (outcome == Outcome.FENCED) {
                return rewind(partition, offset - 1, what);
            }
            LOG.warn("{}: the transaction failed, trying again in {} ms", what, backoff.toMillis());
            backoff = waitBefore(partition, what, backoff);
        }
    }

    private Outcome transaction(TopicPartition partition, long offset, List<ProducerRecord<String, byte[]>> records,
                                JobPlan checkpoint) {
        try {
            if (producer == null) {
                producer = producers.get();
            }
            producer.beginTransaction();
            inTransaction = true;
            for (ProducerRecord<String, byte[]> record : records) {
                producer.send(record);
            }
            producer.sendOffsetsToTransaction(Map.of(partition, new OffsetAndMetadata(offset)),
                    consumer.groupMetadata());
            if (checkpoint != null) {
                hook.beforeCommit(checkpoint);
            }
            producer.commitTransaction();
            inTransaction = false;
            return Outcome.COMMITTED;
        } catch (ProducerFencedException | AuthorizationException | UnsupportedVersionException
                 | InvalidRecordException e) {
            throw e; // fatal: another planner runs with this transactional id, or this one cannot work at all
        } catch (CommitFailedException e) {
            LOG.warn("transaction fenced at {}@{} (the partition moved to another planner): {}", partition, offset,
                    e.getMessage());
            abort();
            return Outcome.FENCED;
        } catch (KafkaException e) {
            LOG.warn("transaction at {}@{} failed: {}", partition, offset, e.toString());
            abort();
            return Outcome.RETRY;
        }
    }

    /**
     * Aborts the open transaction. A transaction that outlived its timeout (a commit held up while a broker failed
     * over) was already aborted by the coordinator, which bumped the producer epoch: the producer then fails with
     * InvalidProducerEpochException or InvalidTxnStateException and may be left in an error state that even
     * abortTransaction refuses. Such a producer is closed; the next transaction starts a new one with the same
     * transactional id, whose initTransactions aborts whatever is left open.
     */
    private void abort() {
        inTransaction = false;
        if (producer == null) {
            return;
        }
        try {
            producer.abortTransaction();
        } catch (ProducerFencedException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("job planner {}: the producer cannot abort ({}); a new one takes over", config.instanceId(),
                    e.toString());
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    /**
     * After a fenced transaction: the partition's next spec is planned again by whoever owns it, so if it is still
     * ours, go back to the spec (the rest of the polled batch is dropped).
     */
    private boolean rewind(TopicPartition partition, long specOffset, String what) {
        if (consumer.assignment().contains(partition)) {
            consumer.seek(partition, specOffset);
        }
        LOG.info("{}: stopped, {} is planned again from spec offset {}", what, partition, specOffset);
        return false;
    }

    /** Lets the consumer heartbeat and take part in rebalances; stops the job when its partition is gone. */
    private void keepAlive(TopicPartition partition, String jobId) {
        pausedPoll(Duration.ZERO, partition, jobId);
    }

    /** Waits {@code backoff} in a poll of paused partitions; the next, longer backoff. */
    private Duration waitBefore(TopicPartition partition, String jobId, Duration backoff) {
        pausedPoll(backoff, partition, jobId);
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    private void pausedPoll(Duration timeout, TopicPartition partition, String what) {
        if (running) {
            ConsumerRecords<String, byte[]> none = consumer.poll(timeout);
            if (!none.isEmpty()) {
                throw new IllegalStateException("a paused consumer returned records");
            }
        }
        if (!running) {
            throw new JobInterrupted(what + ": stopped, the planner is closing");
        }
        if (lost.contains(partition)) {
            throw new JobInterrupted(what + ": stopped, " + partition + " was revoked");
        }
    }

    /** Runs {@code action}, trying again with capped backoff while it fails on Kafka or S3. */
    private <T> T retrying(TopicPartition partition, String what, Supplier<T> action) {
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                return action.get();
            } catch (KafkaException | SdkException e) {
                if (e instanceof WakeupException wakeup) {
                    throw wakeup;
                }
                LOG.warn("{} failed, trying again in {} ms: {}", what, backoff.toMillis(), e.toString());
            }
            backoff = waitBefore(partition, what, backoff);
        }
    }

    private void shutDown() {
        try {
            if (inTransaction) {
                try {
                    abort();
                } catch (RuntimeException e) {
                    LOG.warn("could not abort the open transaction: {}", e.toString());
                }
            }
        } finally {
            closeQuietly(consumer::close);
            if (producer != null) {
                closeQuietly(() -> producer.close(Duration.ofSeconds(10)));
            }
            closeQuietly(plans::close);
            closeQuietly(cancellations::close);
            closeQuietly(admin::close);
            if (ownsS3) {
                closeQuietly(s3::close);
            }
            stopped.countDown();
        }
    }

    private static void closeQuietly(Runnable close) {
        try {
            close.run();
        } catch (RuntimeException e) {
            LOG.warn("closing failed: {}", e.toString());
        }
    }

    /** Stops after the page in progress (its transaction commits or aborts) and leaves the consumer group. */
    @Override
    public void close() {
        if (!isAlive() && !running) {
            return; // closed already, or stopped on an error (logged then)
        }
        running = false;
        consumer.wakeup();
        try {
            if (!stopped.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("job planner {} did not stop within {} s", config.instanceId(), STOP_WAIT.toSeconds());
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("job planner {} stopped", config.instanceId());
    }
}
