package io.kaption.sink.output;

import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterPublisher;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
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
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Writes every result that has an {@code output_uri} to that S3 object as JSON: exactly the {@code kaption.results}
 * value ({@link ContractCodec#RESULTS}), {@code Content-Type: application/json}.
 *
 * <p>One consumer in a consumer group ({@link #GROUP_ID} in a sink), so replicas share the partitions. Offsets are
 * committed only once every put of a polled batch succeeded; a put that fails transiently (5xx, throttling, I/O) is
 * tried again with capped backoff, never skipped; a put S3 refuses for good (NoSuchBucket, AccessDenied, …) sends the
 * record to {@code <results topic>.dlq}. The first result of a request wins: objects carry the request id as
 * metadata, and a result whose request's object is already there is not written again (a record redelivered after a
 * crash or rebalance, or a second result of a request that a worker answered twice).
 */
public final class OutputWriter implements AutoCloseable {

    public static final String GROUP_ID = "kaption-sink-outputs";
    /** User metadata ({@code x-amz-meta-kaption-request-id}) naming the request whose result an object holds. */
    static final String REQUEST_ID_METADATA = "kaption-request-id";

    private static final Logger log = LoggerFactory.getLogger(OutputWriter.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final String resultsTopic;
    private final S3Client s3;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> deadLetterProducer;
    private final DeadLetterPublisher deadLetters;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Next offset to commit per partition: after the last record handled; read and written on the writer thread. */
    private final Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
    private volatile boolean running = true;
    /** True while a put is being retried: partitions assigned meanwhile stay paused until it is done. */
    private boolean retrying;

    private OutputWriter(KafkaConnection kafka, String resultsTopic, String groupId, GroupMembership membership,
                         S3Client s3, Consumer<String> deadLettered) {
        this.resultsTopic = resultsTopic;
        this.s3 = s3;
        Map<String, Object> own = new HashMap<>(membership.consumerProperties());
        own.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100));
        this.consumer = new KafkaConsumer<>(kafka.consumer(own), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.deadLetterProducer = new KafkaProducer<>(kafka.producer(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES)),
                new ByteArraySerializer(), new ByteArraySerializer());
        this.deadLetters = new DeadLetterPublisher(deadLetterProducer, deadLettered);
        this.thread = new Thread(this::run, "kaption-output-writer");
    }

    /**
     * Creates {@code <resultsTopic>.dlq} if missing, joins consumer group {@code groupId} on {@code resultsTopic} and
     * starts writing. {@code s3} stays the caller's (not closed here).
     */
    public static OutputWriter start(KafkaConnection kafka, String resultsTopic, String groupId,
                                     TopicProvisioner.Settings topics, S3Client s3) {
        return start(kafka, resultsTopic, groupId, topics, s3, topic -> { });
    }

    /** Like {@link #start(KafkaConnection, String, String, TopicProvisioner.Settings, S3Client)}, telling
     *  {@code deadLettered} the topic of each record dead-lettered (to count them). */
    public static OutputWriter start(KafkaConnection kafka, String resultsTopic, String groupId,
                                     TopicProvisioner.Settings topics, S3Client s3, Consumer<String> deadLettered) {
        return start(kafka, resultsTopic, groupId, GroupMembership.of(GroupMembership.DEFAULT_SESSION_TIMEOUT,
                Optional.empty()), topics, s3, deadLettered);
    }

    /** Like the above, holding its group membership as {@code membership} says (session timeout, static id). */
    public static OutputWriter start(KafkaConnection kafka, String resultsTopic, String groupId,
                                     GroupMembership membership, TopicProvisioner.Settings topics, S3Client s3,
                                     Consumer<String> deadLettered) {
        try (Admin admin = Admin.create(kafka.admin(Map.of()))) {
            new TopicProvisioner(admin, topics).ensure(List.of(Topics.dlq(resultsTopic)));
        }
        OutputWriter writer = new OutputWriter(kafka, resultsTopic, groupId, membership, s3, deadLettered);
        writer.thread.start();
        log.info("writing results with an output_uri from {} (consumer group {})", resultsTopic, groupId);
        return writer;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(resultsTopic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    commitHandled();
                    partitions.forEach(handled::remove);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (retrying) {
                        consumer.pause(partitions);
                    }
                }
            });
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (!consumer.assignment().contains(partition)) {
                        continue; // revoked while an earlier put was retried: its new owner writes it
                    }
                    Outcome outcome = write(record, partition);
                    if (outcome == Outcome.STOPPED) {
                        break;
                    }
                    if (outcome == Outcome.DONE) {
                        handled.put(partition, new OffsetAndMetadata(record.offset() + 1));
                    }
                }
                commitHandled();
            }
        } catch (WakeupException e) {
            // close() while polling
        } catch (RuntimeException e) {
            log.error("output writer stopped: {}", e.toString(), e);
        } finally {
            try {
                commitHandled();
            } catch (WakeupException e) {
                commitHandled(); // the wake-up of close() was still pending: this commit is the one that counts
            } catch (RuntimeException e) {
                log.warn("could not commit the written results' offsets {}: {}", handled, e.toString());
            } finally {
                // Leaves the group also as a static member: its partitions go to another replica at once.
                consumer.close(CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP));
                deadLetterProducer.close();
                stopped.countDown();
            }
        }
    }

    private enum Outcome {
        /** Written, dead-lettered, or nothing to write: its offset may be committed. */
        DONE,
        /** Its partition was revoked while a put was retried: the partition's new owner writes it. */
        REVOKED,
        /** The writer stops before the record was done. */
        STOPPED
    }

    /**
     * Writes one record's result (if it has an {@code output_uri}), retrying transient failures until it succeeds,
     * the partition is revoked, or the writer stops.
     */
    private Outcome write(ConsumerRecord<byte[], byte[]> record, TopicPartition partition) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        DecodeResult<GenerationResult> decoded = record.value() == null ? null
                : ContractCodec.RESULTS.tryDecode(record.value());
        if (!(decoded instanceof DecodeResult.Valid<GenerationResult> valid)) {
            log.warn("skipping undecodable result {} at {}-{}@{}", key, record.topic(), record.partition(),
                    record.offset());
            return Outcome.DONE;
        }
        GenerationResult result = valid.value();
        if (result.outputUri() == null) {
            return Outcome.DONE;
        }
        OutputUri target = OutputUri.parse(result.outputUri()); // the schema has checked the pattern
        byte[] json = ContractCodec.RESULTS.encode(result);
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                if (alreadyWritten(target, result.requestId())) {
                    log.info("result of {} already at {}: keeping the first", result.requestId(), target);
                    return Outcome.DONE;
                }
                s3.putObject(PutObjectRequest.builder().bucket(target.bucket()).key(target.key())
                        .contentType("application/json").metadata(Map.of(REQUEST_ID_METADATA, result.requestId()))
                        .build(), RequestBody.fromBytes(json));
                log.info("wrote result of {} to {}", result.requestId(), target);
                return Outcome.DONE;
            } catch (RuntimeException e) {
                if (PutFailures.isPermanent(e)) {
                    try {
                        deadLetters.publish(record, "cannot write output_uri " + target + ": "
                                + PutFailures.describe(e), e);
                        return Outcome.DONE;
                    } catch (KafkaException dlqFailure) {
                        log.warn("could not dead-letter the result of {}, trying again in {} ms: {}",
                                result.requestId(), backoff.toMillis(), dlqFailure.toString());
                    }
                } else {
                    log.warn("could not write the result of {} to {}, trying again in {} ms: {}", result.requestId(),
                            target, backoff.toMillis(), PutFailures.describe(e));
                }
            }
            if (!pauseFor(backoff)) {
                return Outcome.STOPPED;
            }
            if (!consumer.assignment().contains(partition)) {
                return Outcome.REVOKED;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /**
     * Whether a result of this request is at {@code target} already (its object carries the request id as metadata).
     * A request answered twice (a worker crashed, or lost its partition, after publishing the result and before
     * committing the request) has two results on the topic, on one partition; the first one written stays, so the
     * object never changes once a reader may have seen it.
     */
    private boolean alreadyWritten(OutputUri target, String requestId) {
        try {
            HeadObjectResponse head = s3.headObject(HeadObjectRequest.builder().bucket(target.bucket())
                    .key(target.key()).build());
            return requestId.equals(head.metadata().get(REQUEST_ID_METADATA));
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    /**
     * Waits {@code backoff} in a poll of paused partitions, so the consumer keeps its group membership however long
     * S3 stays down. False when the writer is stopping.
     */
    private boolean pauseFor(Duration backoff) {
        if (!running) {
            return false;
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
        return running;
    }

    private void commitHandled() {
        if (handled.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(handled);
        } catch (CommitFailedException e) {
            // Another replica owns the partitions now and writes these results again: harmless, the puts are idempotent.
            log.warn("could not commit the written results' offsets {}: {}", handled, e.getMessage());
        }
        handled.clear();
    }

    /** Stops after the put in progress, commits what was written, and leaves the consumer group. */
    /** False once the writing loop has ended, by {@link #close()} or by an error it could not recover from. */
    public boolean isAlive() {
        return stopped.getCount() > 0;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            if (!stopped.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("output writer did not stop within {} s", STOP_WAIT.toSeconds());
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("output writer stopped");
    }
}
