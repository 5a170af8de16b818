package io.kaption.ingest.discovery;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Topics;
import io.kaption.schemas.WorkerAnnouncement;
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

import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The GPU workers running now, from their announcements on {@code kaption.workers}: one consumer without a group
 * reads every partition from the beginning and keeps the latest announcement per worker; a tombstone removes it, and
 * a worker that missed {@value WorkerAnnouncement#MISSED_ANNOUNCEMENTS} announcements is left out of every answer.
 * It creates the topic first if missing, retrying while Kafka is unreachable.
 */
public final class WorkerDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerDirectory.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);
    private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);
    private static final Duration BROKER_CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, WorkerAnnouncement> workers = new ConcurrentHashMap<>();
    private final TopicProvisioner provisioner;
    private final Consumer<String, byte[]> consumer;
    private final Clock clock;
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private volatile boolean running = true;
    private boolean provisioned;
    private Set<TopicPartition> assigned = Set.of();
    private long nextRefreshMs;
    private boolean failing;

    private WorkerDirectory(KafkaConnection kafka, TopicProvisioner provisioner, Clock clock) {
        this.provisioner = provisioner;
        this.clock = clock;
        this.consumer = new KafkaConsumer<>(kafka.consumer(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-worker-directory-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "kaption-worker-directory");
        this.thread.setDaemon(true);
    }

    public static WorkerDirectory start(KafkaConnection kafka, TopicProvisioner provisioner, Clock clock) {
        WorkerDirectory directory = new WorkerDirectory(kafka, provisioner, clock);
        directory.thread.start();
        return directory;
    }

    /** The workers alive now, by when they started (then id). */
    public List<WorkerAnnouncement> alive() {
        var now = clock.instant();
        return workers.values().stream()
                .filter(worker -> worker.aliveAt(now))
                .sorted(Comparator.comparing(WorkerAnnouncement::startedAt).thenComparing(WorkerAnnouncement::workerId))
                .toList();
    }

    /** The workers alive now serving {@code group}. */
    public List<WorkerAnnouncement> serving(String group) {
        return alive().stream().filter(worker -> worker.consumerGroups().contains(group)).toList();
    }

    /** Every group some alive worker serves, sorted. */
    public List<String> servedGroups() {
        return alive().stream().flatMap(worker -> worker.consumerGroups().stream()).distinct().sorted()
                .collect(Collectors.toList());
    }

    private void run() {
        try {
            while (running) {
                try {
                    followOnce();
                    if (failing) {
                        failing = false;
                        LOG.info("reading {} again", Topics.WORKERS);
                    }
                } catch (WakeupException e) {
                    // close() woke us up; the loop condition ends it
                } catch (RuntimeException e) {
                    if (!failing) {
                        failing = true;
                        LOG.warn("reading {} failed, retrying: {}", Topics.WORKERS, e.toString());
                    }
                    pause(ERROR_BACKOFF);
                }
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void followOnce() {
        if (!provisioned) {
            provisioner.ensure(TopicProvisioner.workerTopics());
            provisioned = true;
        }
        long now = System.currentTimeMillis();
        if (now >= nextRefreshMs) {
            List<PartitionInfo> partitions = consumer.listTopics(BROKER_CALL_TIMEOUT)
                    .getOrDefault(Topics.WORKERS, List.of());
            Set<TopicPartition> found = partitions.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).collect(Collectors.toSet());
            if (!found.equals(assigned)) {
                Set<TopicPartition> added = new java.util.HashSet<>(found);
                added.removeAll(assigned);
                consumer.assign(found);
                consumer.seekToBeginning(added);
                assigned = Set.copyOf(found);
            }
            nextRefreshMs = now + PARTITION_REFRESH.toMillis();
        }
        if (assigned.isEmpty()) {
            pause(ERROR_BACKOFF);
            return;
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_TIMEOUT)) {
            handle(record);
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            workers.remove(record.key());
            return;
        }
        DecodeResult<WorkerAnnouncement> decoded = ContractCodec.WORKERS.tryDecode(record.value());
        if (decoded instanceof DecodeResult.Valid<WorkerAnnouncement> valid) {
            workers.put(record.key(), valid.value());
        } else {
            LOG.warn("worker {}: skipping undecodable announcement {}-{}@{}: {}", record.key(), record.topic(),
                    record.partition(), record.offset(),
                    ((DecodeResult.Invalid<WorkerAnnouncement>) decoded).reason());
        }
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
