package io.kaption.worker;

import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.lora.LoraAdapters;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.images.ImageIntake;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.metrics.ServiceMetrics;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.dlq.DeadLetterPublisher;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.announce.WorkerAnnouncer;
import io.kaption.worker.batching.BatchCollector;
import io.kaption.worker.batching.DecodeLoop;
import io.kaption.worker.batching.Handoff;
import io.kaption.worker.cancel.CancellationListener;
import io.kaption.worker.cancel.CancelledRequests;
import io.kaption.worker.consume.ReadyRequest;
import io.kaption.worker.consume.RequestConsumer;
import io.kaption.worker.consume.RequestPreparer;
import io.kaption.worker.http.WorkerHttpServer;
import io.kaption.worker.http.WorkerState;
import io.kaption.worker.images.ImageLoader;
import io.kaption.worker.metrics.WorkerMetrics;
import io.kaption.worker.publish.EventPublisher;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A running GPU worker: consumes its consumer groups' request topics (and, with the room they leave, their bulk
 * lanes), runs LLaVA in micro-batches with continuous
 * batching, publishes token events and results, honours cancellations, commits offsets only after results are
 * acknowledged. {@link #close()} stops it gracefully; a fatal error (Kafka not acknowledging, the decode loop
 * failing) stops it on its own, see {@link #terminated()}.
 */
public final class GpuWorker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuWorker.class);

    private final WorkerConfig config;
    /** What to close, most recently opened first. */
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    /** Read by readiness probes while {@link #open()} adds to it. */
    private final List<RequestConsumer> consumers = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private ExecutorService imagePool;
    private DecodeLoop decodeLoop;
    private EventPublisher publisher;
    private KafkaProducer<byte[], byte[]> producer;
    private boolean closed;
    private volatile WorkerState.Phase phase = WorkerState.Phase.STARTING;
    private final ServiceMetrics metrics = ServiceMetrics.create();
    private WorkerHttpServer http;

    private GpuWorker(WorkerConfig config) {
        this.config = config;
    }

    /**
     * Loads the model (writing the demo model first when none is configured), creates missing topics, and starts
     * consuming. Returns once every consumer and the cancellation listener run.
     */
    public static GpuWorker start(WorkerConfig config) throws IOException {
        config.kafka().checkAccess("kaption-worker-access-check");
        GpuWorker worker = new GpuWorker(config);
        try {
            worker.open();
        } catch (IOException | RuntimeException e) {
            worker.close();
            throw e;
        }
        return worker;
    }

    // Holds the lock that close() takes, so that a fatal error during start waits for start to end.
    private synchronized void open() throws IOException {
        resources.push(metrics);
        // First, so that probes answer (not ready) during a model load of minutes.
        http = WorkerHttpServer.start(config.httpHost(), config.httpPort(), this::state, metrics);
        resources.push(http);
        LOG.info("gpu-worker HTTP on http://{}:{} (/healthz, /readyz, /metrics)", config.httpHost(), http.port());
        Path modelDir = config.model().isPresent() ? config.model().get() : writeDemoModel();
        LlavaPipeline pipeline = LlavaPipeline.load(modelDir, new LlavaPipeline.Options(config.precision(),
                config.visionTower().orElse(null), config.maxBatchSize(), null)
                .withLora(config.loraDir().orElse(null), config.loraMaxLoaded())
                .withPrefillTokensPerPass(config.prefillTokensPerPass()));
        resources.push(pipeline);
        if (config.model().isEmpty()) {
            LOG.warn("serving the {} — set KAPTION_MODEL to a LLaVA checkpoint for real answers", DemoCheckpoint.NOTICE);
        }

        List<String> topics = config.consumerGroups().stream()
                .flatMap(group -> Stream.concat(TopicProvisioner.streamingTopics(group).stream(),
                        TopicProvisioner.bulkTopics(group).stream()))
                .collect(Collectors.toCollection(ArrayList::new));
        topics.addAll(TopicProvisioner.workerTopics());
        topics = topics.stream().distinct().toList();
        try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
            new TopicProvisioner(admin, config.topics()).ensure(topics);
        }

        producer = new KafkaProducer<>(config.kafka().producer(Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, "kaption-worker",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                // Token events and results are what clients wait for: send at once, not after Kafka 4's 5 ms default
                // linger (bench pipeline at 4/s: overhead p50 5 ms lower, docs/PERFORMANCE.md).
                ProducerConfig.LINGER_MS_CONFIG, 0,
                // Dead-lettered copies carry a whole request record plus the reason headers.
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES)),
                new ByteArraySerializer(), new ByteArraySerializer());
        resources.push(producer);
        metrics.bind(producer, Tags.empty());
        ImageIntake intake = new ImageIntake(config.imageIntake());
        resources.push(intake);
        S3Client s3 = S3Clients.create(config.s3Endpoint(), config.awsRegion());
        resources.push(s3);

        CancelledRequests cancelled = new CancelledRequests(config.jobCancellationLookback());
        resources.push(CancellationListener.start(config.kafka(), config.jobCancellationLookback(),
                cancelled, this::fail));
        publisher = new EventPublisher(producer, this::fail);
        resources.push(publisher);

        // Interactive requests queue up to two batches; a bucket job is prefetched two batches ahead: one to refill
        // the rows of the batch running now, one being fetched and prepared behind it, so the engine never waits
        // for S3 or the consumer's next poll between batches (measured: bench job, docs/PERFORMANCE.md).
        Handoff handoff = new Handoff(2 * config.maxBatchSize(), 2 * config.maxBatchSize());
        BatchCollector<ReadyRequest> collector = new BatchCollector<>(config.maxBatchSize(), config.batchDuration(),
                ReadyRequest::rows, System::nanoTime);
        decodeLoop = new DecodeLoop(pipeline, handoff, collector, cancelled, publisher, this::fail, System::nanoTime,
                new WorkerMetrics(metrics.registry(), config.maxBatchSize()));
        decodeLoop.start();

        AtomicInteger threads = new AtomicInteger();
        imagePool = Executors.newFixedThreadPool(config.imageThreads(), runnable -> {
            Thread thread = new Thread(runnable, "kaption-worker-images-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        RequestPreparer preparer = new RequestPreparer(new ImageLoader(intake, s3), pipeline.loraAdapters().orElse(null),
                pipeline);
        DeadLetterPublisher deadLetters = new DeadLetterPublisher(producer, metrics::deadLettered);
        GroupMembership membership = new GroupMembership(config.sessionTimeout(), config.heartbeatInterval(),
                config.instanceId());
        for (String group : config.consumerGroups()) {
            RequestConsumer consumer = new RequestConsumer(config.kafka(), group,
                    config.maxBatchSize(), membership, handoff, preparer, imagePool, deadLetters, cancelled, publisher,
                    this::fail, Clock.systemUTC(), System::nanoTime, metrics);
            consumers.add(consumer);
            consumer.start();
        }
        // Closed before the producer (resources close in reverse): its tombstone still gets out.
        resources.push(WorkerAnnouncer.start(producer, config.consumerGroups(), config.model().orElse(null),
                config.precision().name().toLowerCase(Locale.ROOT), config.maxBatchSize(),
                () -> pipeline.loraAdapters().map(LoraAdapters::available).orElse(null),
                WorkerAnnouncer.DEFAULT_INTERVAL, Clock.systemUTC()));
        if (phase == WorkerState.Phase.STARTING) {
            phase = WorkerState.Phase.RUNNING;
        }
        LOG.info("gpu-worker started: groups {}, model {}, {}, batch {} rows, prefill passes of <= {} tokens, linger {} ms,"
                + " session timeout {} ms, {}", config.consumerGroups(), modelDir, config.precision(),
                config.maxBatchSize(), config.prefillTokensPerPass(), config.batchDuration().toMillis(),
                config.sessionTimeout().toMillis(),
                config.instanceId().map(id -> "static member " + id).orElse("dynamic member"));
    }

    private Path writeDemoModel() throws IOException {
        Path directory = Files.createTempDirectory("kaption-demo-model");
        resources.push(() -> deleteRecursively(directory));
        LOG.warn("KAPTION_MODEL is not set: writing the {} to {}", DemoCheckpoint.NOTICE, directory);
        return DemoCheckpoint.write(directory);
    }

    /** The port of the HTTP server ({@code /healthz}, {@code /readyz}, {@code /metrics}). */
    public int httpPort() {
        return http.port();
    }

    /** What the probes report now; cheap (no Kafka calls). */
    public WorkerState state() {
        Map<String, Integer> partitions = new HashMap<>();
        config.consumerGroups().forEach(group -> partitions.put(group, 0));
        for (RequestConsumer consumer : consumers) {
            partitions.put(consumer.consumerGroup(), consumer.assignedPartitions());
        }
        return new WorkerState(phase, partitions);
    }

    /** Completes when the worker has stopped, after {@link #close()} or on its own after a fatal error. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /** The error that stopped the worker on its own, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** A fatal error: the worker cannot go on without risking lost or unacknowledged work, so it stops. */
    private void fail(Throwable error) {
        if (failure.compareAndSet(null, error)) {
            phase = WorkerState.Phase.FAILED;
            LOG.error("gpu-worker stopping after a fatal error: {}", error.toString());
            Thread stopper = new Thread(this::close, "kaption-worker-stop");
            stopper.start();
        }
    }

    /**
     * Stops gracefully: consumers stop fetching; requests in the engine finish (or are cancelled once the
     * shutdown grace has passed); the worker waits for their results to be acknowledged, commits what finished, and
     * closes. Requests taken but not started are neither answered nor committed: another worker gets them.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (phase != WorkerState.Phase.FAILED) {
            phase = WorkerState.Phase.STOPPING;
        }
        LOG.info("gpu-worker stopping");
        try {
            consumers.forEach(RequestConsumer::stopFetching);
            if (decodeLoop != null) {
                decodeLoop.stop(config.shutdownGrace());
            }
            if (imagePool != null) {
                imagePool.shutdownNow();
                imagePool.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (publisher != null && !publisher.awaitResults(Duration.ofSeconds(30))) {
                LOG.warn("some results were not acknowledged in time; their requests will be redelivered");
            }
            for (RequestConsumer consumer : consumers) {
                consumer.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeResources();
            LOG.info("gpu-worker stopped");
            terminated.complete(null);
        }
    }

    private void closeResources() {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resource, e.toString());
            }
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
