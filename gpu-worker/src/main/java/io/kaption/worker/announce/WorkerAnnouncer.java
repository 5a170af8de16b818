package io.kaption.worker.announce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.schemas.Topics;
import io.kaption.schemas.WorkerAnnouncement;
import io.kaption.schemas.serde.ContractCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces this worker on {@code kaption.workers}: at start, every interval after, and a tombstone on close, so that
 * the ingest service can list the groups being served and by which model ({@code GET /v1/models}, {@code /v1/groups}).
 * A failed announcement is logged and tried again at the next interval: serving requests does not depend on it.
 */
public final class WorkerAnnouncer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerAnnouncer.class);
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);
    /** What the demo model is announced as. */
    public static final String DEMO_MODEL = "kaption-demo-llava";

    /** Workers started in this process: the second and later ones (tests, mostly) get a number in their id. */
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Producer<byte[], byte[]> producer;
    private final WorkerAnnouncement template;
    private final Supplier<List<String>> loraAdapters;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private volatile boolean failing;

    private WorkerAnnouncer(Producer<byte[], byte[]> producer, WorkerAnnouncement template,
            Supplier<List<String>> loraAdapters, Clock clock) {
        this.producer = producer;
        this.template = template;
        this.loraAdapters = loraAdapters;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kaption-worker-announcer");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Announces now and every {@code interval}.
     *
     * @param modelDir     the checkpoint directory served; null for the demo model
     * @param loraAdapters the LoRA adapters served, asked at every announcement (adapters may be added while the
     *                     worker runs); null from it: none
     */
    public static WorkerAnnouncer start(Producer<byte[], byte[]> producer, List<String> consumerGroups, Path modelDir,
                                        String dtype, int maxBatchSize, Supplier<List<String>> loraAdapters,
                                        Duration interval, Clock clock) {
        String host = hostName();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        int instance = INSTANCES.incrementAndGet();
        String workerId = host + "-" + ProcessHandle.current().pid() + (instance == 1 ? "" : "-" + instance);
        WorkerAnnouncement template = new WorkerAnnouncement(workerId,
                consumerGroups, modelDir == null ? DEMO_MODEL : modelDir.toAbsolutePath().normalize().getFileName()
                .toString(), modelDir == null ? null : modelType(modelDir), dtype, maxBatchSize, host, now, now,
                interval.toMillis());
        WorkerAnnouncer announcer = new WorkerAnnouncer(producer, template, loraAdapters, clock);
        announcer.timer.scheduleAtFixedRate(announcer::announce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("announcing worker {} on {} every {} s", template.workerId(), Topics.WORKERS, interval.toSeconds());
        return announcer;
    }

    public String workerId() {
        return template.workerId();
    }

    private void announce() {
        WorkerAnnouncement now = new WorkerAnnouncement(template.workerId(), template.consumerGroups(), template.model(),
                template.modelType(), template.dtype(), template.maxBatchSize(), template.host(), template.startedAt(),
                clock.instant().truncatedTo(ChronoUnit.MILLIS), template.announceIntervalMs(), loraAdapters.get());
        producer.send(new ProducerRecord<>(Topics.WORKERS, key(), ContractCodec.WORKERS.encode(now)),
                (metadata, error) -> {
                    if (error != null && !failing) {
                        failing = true;
                        LOG.warn("announcing worker {} failed, trying again every interval: {}", template.workerId(),
                                error.toString());
                    } else if (error == null && failing) {
                        failing = false;
                        LOG.info("announcing worker {} again", template.workerId());
                    }
                });
    }

    /** Stops announcing and writes the tombstone (waiting up to 5 s for it): the worker is gone at once for readers. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(Topics.WORKERS, key(), null)).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("worker {} could not withdraw its announcement: {} (it lapses after {} intervals)",
                    template.workerId(), e.toString(), WorkerAnnouncement.MISSED_ANNOUNCEMENTS);
        }
    }

    private byte[] key() {
        return template.workerId().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code architectures[0]} of the checkpoint's config.json, if it has one. */
    static String modelType(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        try {
            JsonNode architectures = new ObjectMapper().readTree(config.toFile()).path("architectures");
            return architectures.isArray() && architectures.size() > 0 && architectures.get(0).isTextual()
                    ? architectures.get(0).asText() : null;
        } catch (IOException e) {
            return null; // the engine reads the config itself and says what is wrong with it
        }
    }

    private static String hostName() {
        String host = System.getenv("HOSTNAME");
        if (host != null && !host.isBlank()) {
            return host.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
