package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's poll thread: keeps one consumer assigned to every partition of {@code kaption.tokens} and
 * {@code kaption.results} (waiting for the topics to exist, picking up partitions added later), starting each
 * partition at the first record of the history window, and feeds what it reads into the {@link RequestHistory}.
 */
final class TopicFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    /** How often partitions are looked up once both topics exist (new partitions are rare)… */
    private static final Duration PARTITION_REFRESH = Duration.ofSeconds(5);
    /** …and while one is still missing (a fresh deployment creates them while the services start). */
    private static final Duration MISSING_TOPIC_RETRY = Duration.ofSeconds(1);
    private static final Duration EVICTION_INTERVAL = Duration.ofSeconds(1);
    private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);
    private static final Duration BROKER_CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_LOGGED_KEY_LENGTH = 256;

    private final String tokensTopic;
    private final String resultsTopic;
    private final List<String> topics;
    private final Consumer<byte[], byte[]> consumer;
    /**
     * Looks up where kaption.tokens ends. Not the consumer: a broker answers one connection's requests in order, so a
     * look-up sent behind the consumer's waiting fetch would wait out {@code fetch.max.wait.ms} (500 ms) on every
     * result of a non-streaming request.
     */
    private final Admin admin;
    private final RequestHistory history;
    private final long historyStartMs;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Results waiting until the consumer has read kaption.tokens as far as it went when they arrived. */
    private final ArrayDeque<TokenBarrier> barriers = new ArrayDeque<>();

    private volatile boolean running = true;
    private volatile boolean ready;
    private boolean allTopicsFound;
    /**
     * Where each newly followed partition ended when it was placed at its history start: until the consumer has read
     * that far, a restarted hub does not yet know the recent requests it will be asked to replay, so it is not ready.
     */
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();
    private Set<TopicPartition> assigned = Set.of();
    private long nextRefreshMs;
    private long nextEvictionMs;
    private boolean failing;
    private boolean reportedMissingTopics;

    TopicFollower(RequestEventHub.Config config, RequestHistory history) {
        this.history = history;
        this.tokensTopic = config.tokensTopic();
        this.resultsTopic = config.resultsTopic();
        this.topics = List.of(tokensTopic, resultsTopic);
        this.historyStartMs = System.currentTimeMillis() - config.historyWindow().toMillis();
        Map<String, Object> properties = new HashMap<>();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "kaption-request-events-" + UUID.randomUUID());
        // No group: offsets are neither committed nor shared; every process reads everything from its window.
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // Only reached when retention deleted what was about to be read: carry on with the oldest left.
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(config.kafka().consumer(properties), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.admin = Admin.create(config.kafka().admin(Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, "kaption-request-events-admin-" + UUID.randomUUID())));
        this.thread = new Thread(this::run, "kaption-request-events");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean isReady() {
        return ready;
    }

    private void run() {
        try {
            while (running) {
                try {
                    followOnce();
                    if (failing) {
                        failing = false;
                        log.info("reading {} again", topics);
                    }
                } catch (WakeupException e) {
                    // close() woke us up; the loop condition ends it
                } catch (RuntimeException e) {
                    if (!failing) {
                        failing = true;
                        log.warn("reading {} failed, retrying: {}", topics, e.toString());
                    }
                    pause(ERROR_BACKOFF);
                }
            }
        } finally {
            // Whatever ended the loop (close, or an Error such as OutOfMemoryError), nothing is read any more:
            // readiness probes must say so, so that an orchestrator restarts the process.
            ready = false;
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            admin.close(Duration.ofSeconds(5));
        }
    }

    private void followOnce() {
        long now = System.currentTimeMillis();
        if (now >= nextRefreshMs) {
            refreshAssignment(now);
        }
        if (assigned.isEmpty()) {
            pause(MISSING_TOPIC_RETRY);
            return;
        }
        List<String> awaitingTokens = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            handle(record, awaitingTokens);
        }
        if (!awaitingTokens.isEmpty()) {
            Map<TopicPartition, Long> tokenEnds = tokenEndOffsets();
            if (tokenEnds != null) {
                barriers.add(new TokenBarrier(tokenEnds, awaitingTokens));
                history.leaveToCatchUp(awaitingTokens);
            } // else the grace period settles them
        }
        while (!barriers.isEmpty() && passed(barriers.peek())) {
            history.settle(barriers.poll().requestIds());
        }
        catchUp.entrySet().removeIf(target -> !assigned.contains(target.getKey())
                || consumer.position(target.getKey(), BROKER_CALL_TIMEOUT) >= target.getValue());
        ready = allTopicsFound && catchUp.isEmpty();
        now = System.currentTimeMillis();
        history.settleOverdue(now);
        if (now >= nextEvictionMs) {
            history.evictExpired(now);
            nextEvictionMs = now + EVICTION_INTERVAL.toMillis();
        }
    }

    // The hub only reads. A record it cannot decode is logged and skipped, never dead-lettered: parking bad records
    // is the business of whoever writes these topics, and every replica's hub reads every record.
    private void handle(ConsumerRecord<byte[], byte[]> record, List<String> awaitingTokens) {
        if (record.topic().equals(tokensTopic)) {
            DecodeResult<TokenEvent> decoded = ContractCodec.TOKENS.tryDecode(record.value());
            if (decoded instanceof DecodeResult.Valid<TokenEvent> valid) {
                history.addToken(record.offset(), valid.value(), record.timestamp());
            } else {
                skip(record, ((DecodeResult.Invalid<TokenEvent>) decoded).reason());
            }
        } else {
            DecodeResult<GenerationResult> decoded = ContractCodec.RESULTS.tryDecode(record.value());
            if (decoded instanceof DecodeResult.Valid<GenerationResult> valid) {
                GenerationResult result = valid.value();
                if (history.addResult(result, record.timestamp(), System.currentTimeMillis())) {
                    awaitingTokens.add(result.requestId());
                }
            } else {
                skip(record, ((DecodeResult.Invalid<GenerationResult>) decoded).reason());
            }
        }
    }

    private static void skip(ConsumerRecord<byte[], byte[]> record, String reason) {
        String requestId = record.key() == null ? "(no key)" : new String(record.key(), StandardCharsets.UTF_8);
        if (requestId.length() > MAX_LOGGED_KEY_LENGTH) {
            requestId = requestId.substring(0, MAX_LOGGED_KEY_LENGTH) + "…";
        }
        log.warn("request {}: skipping undecodable record {}-{}@{}: {}", requestId, record.topic(),
                record.partition(), record.offset(), reason);
    }

    /** Follows the partitions that exist now; new ones start at the history window, known ones keep their place. */
    private void refreshAssignment(long now) {
        Map<String, List<PartitionInfo>> existing = consumer.listTopics(BROKER_CALL_TIMEOUT);
        Set<TopicPartition> found = new HashSet<>();
        for (String topic : topics) {
            for (PartitionInfo partition : existing.getOrDefault(topic, List.of())) {
                found.add(new TopicPartition(topic, partition.partition()));
            }
        }
        allTopicsFound = topics.stream()
                .allMatch(topic -> found.stream().anyMatch(partition -> partition.topic().equals(topic)));
        if (!allTopicsFound && !reportedMissingTopics) {
            reportedMissingTopics = true;
            log.info("waiting for topics {} to be created (have {})", topics, found);
        }
        if (!found.equals(assigned)) {
            Set<TopicPartition> added = new HashSet<>(found);
            added.removeAll(assigned);
            // New partitions stay paused until placed, so that nothing is read from the wrong place; if the look-up
            // fails they are placed on the next attempt (they are not in `assigned` yet).
            consumer.assign(found);
            consumer.pause(added);
            historyStarts(added).forEach(consumer::seek);
            consumer.resume(added);
            assigned = Set.copyOf(found);
            log.info("following {} partitions of {} and {} ({} new)", found.size(), tokensTopic, resultsTopic,
                    added.size());
        }
        ready = allTopicsFound && catchUp.isEmpty();
        nextRefreshMs = now + (allTopicsFound ? PARTITION_REFRESH : MISSING_TOPIC_RETRY).toMillis();
    }

    /**
     * Where each partition's history window begins: its first record at or after the window's start, else its end.
     * The end is looked up first, so a record appended between the two lookups is not skipped (it would have been
     * found by the second).
     */
    private Map<TopicPartition, Long> historyStarts(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, BROKER_CALL_TIMEOUT);
        catchUp.putAll(ends);
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(partition -> times.put(partition, historyStartMs));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times, BROKER_CALL_TIMEOUT);
        Map<TopicPartition, Long> starts = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp first = found.get(partition);
            starts.put(partition, first != null ? first.offset() : ends.get(partition));
        }
        return starts;
    }

    /** Current end offsets of the followed kaption.tokens partitions; null if they cannot be had now. */
    private Map<TopicPartition, Long> tokenEndOffsets() {
        List<TopicPartition> tokenPartitions = assigned.stream()
                .filter(partition -> partition.topic().equals(tokensTopic))
                .toList();
        if (tokenPartitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        tokenPartitions.forEach(partition -> latest.put(partition, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(BROKER_CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((partition, info) -> ends.put(partition, info.offset()));
            return ends;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return null;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.warn("cannot look up the end of {}: {}", tokensTopic, e.toString());
            return null;
        }
    }

    private boolean passed(TokenBarrier barrier) {
        for (Map.Entry<TopicPartition, Long> end : barrier.endOffsets().entrySet()) {
            if (assigned.contains(end.getKey())
                    && consumer.position(end.getKey(), BROKER_CALL_TIMEOUT) < end.getValue()) {
                return false;
            }
        }
        return true;
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

    /** Results that may be settled once the consumer's position on every kaption.tokens partition reached these. */
    private record TokenBarrier(Map<TopicPartition, Long> endOffsets, List<String> requestIds) {}
}
