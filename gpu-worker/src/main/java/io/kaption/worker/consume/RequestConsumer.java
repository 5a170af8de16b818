package io.kaption.worker.consume;

import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.kit.metrics.ServiceMetrics;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterPublisher;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.worker.batching.Handoff;
import io.kaption.worker.cancel.CancelledRequests;
import io.kaption.worker.publish.EventPublisher;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code kaption.requests.<group>} and its bulk lane {@code kaption.bulk.<group>} in consumer group
 * {@code kaption-worker-<group>} on its own thread, {@code read_committed} (bucket jobs write the bulk lane in
 * transactions; records of aborted ones are never seen): decodes each record against the contract, dead-letters the
 * undecodable ones (to {@code <topic>.dlq}, waiting for the acknowledgement) and goes on, and hands the others to the
 * image pool and then the decode loop. The partitions of a topic pause while the hand-off's lane of that topic is
 * full, so a bucket job is prefetched only two batches ahead. A bulk request of a cancelled job is answered at once
 * (code {@code cancelled}) without loading its image or reaching the engine.
 *
 * <p>Offsets are committed by hand, only up to the highest offset whose records are all finished
 * ({@link OffsetTracker}); on a rebalance what is finished is committed before the partitions go. Requests of
 * revoked partitions that are in flight still finish and publish, and the new owner processes them again:
 * delivery is at-least-once, so a result (and token events) may be duplicated after a rebalance or a crash.
 */
public final class RequestConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RequestConsumer.class);
    private static final Duration POLL = Duration.ofMillis(100);
    /**
     * The poll while a lane is paused because the hand-off is full: the decode loop frees room as it takes requests,
     * and a full poll interval before the lane resumes would leave the engine waiting for the refill.
     */
    private static final Duration PAUSED_POLL = Duration.ofMillis(5);

    private final String consumerGroup;
    private final String topic;
    private final String bulkTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final OffsetTracker offsets = new OffsetTracker();
    private final Handoff handoff;
    private final RequestPreparer preparer;
    private final ExecutorService imagePool;
    private final DeadLetterPublisher deadLetters;
    private final CancelledRequests cancelled;
    private final EventPublisher publisher;
    private final Consumer<Throwable> onFatal;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Thread thread;

    /** Written by the poll thread (rebalance callbacks), read by readiness probes. */
    private final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
    private volatile boolean fetching = true;
    private volatile boolean closing;
    private boolean commitInFlight;

    /**
     * @param consumerGroup the worker pool (e.g. {@code primary}): topics {@code kaption.requests.<consumerGroup>}
     *                      and {@code kaption.bulk.<consumerGroup>}, Kafka consumer group
     *                      {@code kaption-worker-<consumerGroup>}
     * @param maxPollRecords records fetched per poll
     * @param membership     session timeout, heartbeats and static membership
     * @param cancelled      whose jobs are cancelled
     * @param publisher      answers the requests of cancelled jobs
     */
    public RequestConsumer(KafkaConnection kafka, String consumerGroup, int maxPollRecords,
            GroupMembership membership, Handoff handoff,
            RequestPreparer preparer, ExecutorService imagePool, DeadLetterPublisher deadLetters,
            CancelledRequests cancelled, EventPublisher publisher, Consumer<Throwable> onFatal, Clock clock,
            LongSupplier nanoTime, ServiceMetrics metrics) {
        this.consumerGroup = consumerGroup;
        this.topic = Topics.requests(consumerGroup);
        this.bulkTopic = Topics.bulkRequests(consumerGroup);
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(consumerGroup));
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId(consumerGroup));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A new pool starts with the requests already waiting, not only with those produced after it joined.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        // Job planners write the bulk lane in transactions: a record of an aborted one must never run.
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Rebalances move only the partitions that change owner: fewer in-flight requests are handed over.
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        // Bounds how long a crashed worker's partitions stall (the coordinator's default is 45 s); static membership:
        // a worker restarted under the same id gets its partitions back without a rebalance.
        config.putAll(membership.consumerProperties());
        this.consumer = new KafkaConsumer<>(kafka.consumer(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // Its lag per topic and partition is the group's queue: kaption_kafka_consumer_fetch_manager_records_lag.
        metrics.bind(consumer, Tags.of("group", consumerGroup));
        this.handoff = handoff;
        this.preparer = preparer;
        this.imagePool = imagePool;
        this.deadLetters = deadLetters;
        this.cancelled = cancelled;
        this.publisher = publisher;
        this.onFatal = onFatal;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.thread = new Thread(this::run, "kaption-worker-poll-" + consumerGroup);
    }

    /** The Kafka consumer group of a worker pool. */
    public static String groupId(String consumerGroup) {
        return Topics.workerGroup(consumerGroup);
    }

    /** The worker pool this consumer serves (e.g. {@code primary}). */
    public String consumerGroup() {
        return consumerGroup;
    }

    public void start() {
        thread.start();
    }

    /** How many partitions (of both lanes) this consumer has assigned now; 0 once it stops. */
    public int assignedPartitions() {
        return thread.isAlive() && !closing ? assigned.size() : 0;
    }

    /** Stops taking new records; the thread keeps polling (group membership) and committing what finishes. */
    public void stopFetching() {
        fetching = false;
    }

    /** Commits what is finished, leaves the group and ends the thread. */
    public void close() throws InterruptedException {
        fetching = false;
        closing = true;
        if (thread.isAlive()) {
            consumer.wakeup();
        }
        thread.join();
    }

    private void run() {
        boolean failed = false;
        try {
            consumer.subscribe(List.of(topic, bulkTopic), new Rebalance());
            LOG.info("consuming {} and {} as {}", topic, bulkTopic, consumer.groupMetadata().groupId());
            while (!closing) {
                boolean waitingForRoom = pauseFullLanes();
                try {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(waitingForRoom ? PAUSED_POLL : POLL)) {
                        dispatch(record);
                    }
                } catch (WakeupException e) {
                    if (!closing) {
                        throw e;
                    }
                }
                commitFinished();
            }
        } catch (RuntimeException e) {
            failed = true;
            LOG.error("consumer of {} and {} failed; the worker stops", topic, bulkTopic, e);
            onFatal.accept(e);
        } finally {
            try {
                if (!failed) {
                    Map<TopicPartition, OffsetAndMetadata> finished = offsets.committable();
                    if (!finished.isEmpty()) {
                        consumer.commitSync(finished);
                        LOG.info("committed {} on shutdown", finished);
                    }
                }
            } catch (KafkaException e) {
                LOG.warn("final commit of {} failed; unfinished work will be redelivered: {}", topic, e.toString());
            } finally {
                assigned.clear();
                // Leave explicitly, also as a static member (which by default stays until its session times out): a
                // stopping worker is gone for at least a model load, so its partitions move at once.
                consumer.close(CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP));
            }
        }
    }

    /**
     * Fetches only for lanes with room in the hand-off, and for none once the worker stops fetching.
     *
     * @return whether a lane is paused only because the hand-off is full (it resumes as soon as there is room)
     */
    private boolean pauseFullLanes() {
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        boolean full = false;
        for (TopicPartition partition : consumer.assignment()) {
            boolean laneFull = handoff.isFull(lane(partition.topic()));
            full |= fetching && laneFull;
            (fetching && !laneFull ? resume : pause).add(partition);
        }
        consumer.pause(pause);
        consumer.resume(resume);
        return full;
    }

    private Lane lane(String recordTopic) {
        return recordTopic.equals(bulkTopic) ? Lane.BULK : Lane.INTERACTIVE;
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        DecodeResult<GenerationRequest> decoded = ContractCodec.REQUESTS.tryDecode(record.value());
        if (decoded instanceof DecodeResult.Invalid<GenerationRequest> invalid) {
            // Returns once the dead-letter record is acknowledged; throws (stopping the worker) if it cannot be.
            deadLetters.publish(record, invalid.reason(), invalid.error());
            offsets.track(partition, record.offset()).done();
            return;
        }
        GenerationRequest request = ((DecodeResult.Valid<GenerationRequest>) decoded).value();
        Lane lane = lane(record.topic());
        AcceptedRequest accepted = new AcceptedRequest(request, lane,
                record.topic() + "-" + record.partition() + "@" + record.offset(), record.timestamp(), clock.instant(),
                nanoTime.getAsLong(), offsets.track(partition, record.offset()));
        Optional<Failure> jobCancelled = cancelled.jobFailure(request);
        if (jobCancelled.isPresent()) {
            LOG.info("request {} from {} not run: {}", request.requestId(), accepted.source(),
                    jobCancelled.get().message());
            publisher.fail(request, jobCancelled.get(), accepted.queuedMillis(), 0, accepted.ticket()::done);
            return;
        }
        handoff.admit(lane);
        try {
            imagePool.execute(() -> handoff.ready(preparer.prepare(accepted)));
        } catch (RejectedExecutionException stopping) {
            handoff.dropped(lane); // the worker is stopping: left uncommitted, redelivered later
        }
    }

    private void commitFinished() {
        if (commitInFlight) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> finished = offsets.committable();
        if (finished.isEmpty()) {
            return;
        }
        commitInFlight = true;
        consumer.commitAsync(finished, (committed, error) -> {
            commitInFlight = false;
            if (error == null) {
                offsets.committed(committed);
            } else {
                LOG.warn("commit of {} failed, retried with the next one: {}", finished, error.toString());
            }
        });
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            assigned.removeAll(partitions);
            Map<TopicPartition, OffsetAndMetadata> finished = offsets.revoke(partitions);
            try {
                if (!finished.isEmpty()) {
                    consumer.commitSync(finished);
                }
                if (closing) {
                    LOG.info("partitions {} released", partitions);
                } else {
                    LOG.info("partitions {} revoked (committed {}); their requests still running are finished here "
                            + "and may be processed again by the new owner", partitions, finished);
                }
            } catch (KafkaException e) {
                LOG.warn("commit on revocation of {} failed; their finished requests will be redelivered: {}",
                        partitions, e.toString());
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned.addAll(partitions);
            if (!partitions.isEmpty()) {
                LOG.info("partitions {} assigned", partitions);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            assigned.removeAll(partitions);
            offsets.lost(partitions);
            LOG.warn("partitions {} lost without a commit; their unfinished requests will be redelivered", partitions);
        }
    }
}
