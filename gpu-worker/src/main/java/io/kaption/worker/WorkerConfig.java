package io.kaption.worker;

import io.kaption.engine.LlavaEngine;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a GPU worker can be told (see gpu-worker/README.md, "Configuration").
 *
 * @param model                 checkpoint directory; empty: the demo model (random weights, its answers are noise)
 * @param precision             compute dtype
 * @param visionTower           CLIP directory for original-layout checkpoints, or empty
 * @param loraDir               directory of the PEFT LoRA adapters {@code lora_id} names, or empty: none served
 * @param loraMaxLoaded         LoRA adapters kept loaded (least recently used ones are freed)
 * @param consumerGroups        worker pools served: topic {@code kaption.requests.<group>} each
 * @param maxBatchSize          engine rows decoded together (Takeoff's {@code TAKEOFF_MAX_BATCH_SIZE})
 * @param batchDuration         how long an idle worker waits after a first request for more to batch with it
 * @param prefillTokensPerPass  the most prompt tokens one prefill forward pass takes (requests joining together beyond
 *                              it are prefilled in several passes of whole requests)
 * @param kafka                 Kafka bootstrap servers and client properties (security)
 * @param s3Endpoint            S3 endpoint override (path-style), or empty for AWS's own
 * @param awsRegion             region of the S3 client
 * @param imageIntake           image fetching and admission limits
 * @param topics                partitions and replication of topics the worker creates
 * @param imageThreads          threads loading images, so a slow image never stalls the decode loop
 * @param shutdownGrace         how long running requests may take to finish on shutdown before they are cancelled
 * @param jobCancellationLookback how far back job cancellations are read at start (and how long one is honoured)
 * @param sessionTimeout        how long the group waits for a silent worker before giving its partitions to others
 * @param instanceId            static group membership ({@code group.instance.id}): a worker restarted under the same
 *                              id within the session timeout takes its partitions back; empty: dynamic membership
 * @param httpHost              interface of the worker's HTTP server ({@code /healthz}, {@code /readyz}, {@code /metrics})
 * @param httpPort              port of that server (0: any free port)
 */
public record WorkerConfig(
        Optional<Path> model,
        LlavaEngine.Precision precision,
        Optional<Path> visionTower,
        Optional<Path> loraDir,
        int loraMaxLoaded,
        List<String> consumerGroups,
        int maxBatchSize,
        Duration batchDuration,
        int prefillTokensPerPass,
        KafkaConnection kafka,
        Optional<URI> s3Endpoint,
        String awsRegion,
        ImageIntakeConfig imageIntake,
        TopicProvisioner.Settings topics,
        int imageThreads,
        Duration shutdownGrace,
        Duration jobCancellationLookback,
        Duration sessionTimeout,
        Optional<String> instanceId,
        String httpHost,
        int httpPort) {

    public static final String MODEL = "KAPTION_MODEL";
    public static final String DTYPE = "KAPTION_DTYPE";
    public static final String VISION_TOWER = "KAPTION_VISION_TOWER";
    public static final String LORA_DIR = "KAPTION_LORA_DIR";
    public static final String LORA_MAX_LOADED = "KAPTION_LORA_MAX_LOADED";
    public static final String CONSUMER_GROUP = "TAKEOFF_CONSUMER_GROUP";
    public static final String MAX_BATCH_SIZE = "TAKEOFF_MAX_BATCH_SIZE";
    public static final String BATCH_DURATION_MILLIS = "TAKEOFF_BATCH_DURATION_MILLIS";
    public static final String PREFILL_TOKENS_PER_PASS = "KAPTION_PREFILL_TOKENS_PER_PASS";
    public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaConnection.BOOTSTRAP_SERVERS;
    public static final String S3_ENDPOINT = S3Clients.ENDPOINT;
    public static final String AWS_REGION = S3Clients.REGION;
    public static final String IMAGE_THREADS = "KAPTION_IMAGE_FETCH_THREADS";
    public static final String SHUTDOWN_GRACE_MILLIS = "KAPTION_WORKER_SHUTDOWN_GRACE_MS";
    public static final String JOB_CANCELLATION_LOOKBACK_MILLIS = "KAPTION_WORKER_JOB_CANCELLATION_LOOKBACK_MS";
    public static final String SESSION_TIMEOUT_MILLIS = "KAPTION_WORKER_SESSION_TIMEOUT_MS";
    public static final String INSTANCE_ID = "KAPTION_WORKER_INSTANCE_ID";
    public static final String HTTP_HOST = "KAPTION_WORKER_HOST";
    public static final String HTTP_PORT = "KAPTION_WORKER_METRICS_PORT";
    /** {@link GroupMembership#DEFAULT_SESSION_TIMEOUT}: a killed worker's partitions move within about this long. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = GroupMembership.DEFAULT_SESSION_TIMEOUT;
    public static final int DEFAULT_HTTP_PORT = 3001;
    /** Kafka's default retention ({@code retention.ms}) of the cancellations topic. */
    public static final Duration DEFAULT_JOB_CANCELLATION_LOOKBACK = Duration.ofDays(7);

    public WorkerConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(visionTower, "visionTower");
        Objects.requireNonNull(loraDir, "loraDir");
        Env.requireAtLeastOne(LORA_MAX_LOADED, loraMaxLoaded);
        consumerGroups = List.copyOf(consumerGroups);
        if (consumerGroups.isEmpty()) {
            throw new IllegalArgumentException(CONSUMER_GROUP + " names no consumer group");
        }
        consumerGroups.forEach(Topics::requireValidConsumerGroup);
        if (consumerGroups.stream().distinct().count() != consumerGroups.size()) {
            throw new IllegalArgumentException(CONSUMER_GROUP + " names a consumer group twice: " + consumerGroups);
        }
        Env.requireAtLeastOne(MAX_BATCH_SIZE, maxBatchSize);
        if (batchDuration.isNegative()) {
            throw new IllegalArgumentException(BATCH_DURATION_MILLIS + " must be 0 or more, got " + batchDuration);
        }
        Env.requireAtLeastOne(PREFILL_TOKENS_PER_PASS, prefillTokensPerPass);
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(awsRegion, "awsRegion");
        Objects.requireNonNull(imageIntake, "imageIntake");
        Objects.requireNonNull(topics, "topics");
        Env.requireAtLeastOne(IMAGE_THREADS, imageThreads);
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException(SHUTDOWN_GRACE_MILLIS + " must be 0 or more, got " + shutdownGrace);
        }
        // It is also how long a job cancellation is honoured: 0 would turn job cancellations off.
        if (jobCancellationLookback.toMillis() < 1) {
            throw new IllegalArgumentException(JOB_CANCELLATION_LOOKBACK_MILLIS + " must be at least 1, got "
                    + jobCancellationLookback.toMillis());
        }
        GroupMembership.requireValidSessionTimeout(SESSION_TIMEOUT_MILLIS, sessionTimeout);
        Objects.requireNonNull(instanceId, "instanceId");
        instanceId.ifPresent(id -> GroupMembership.requireValidInstanceId(INSTANCE_ID, id));
        Objects.requireNonNull(httpHost, "httpHost");
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException(HTTP_PORT + " must be a port number (0-65535), got " + httpPort);
        }
    }

    /** Heartbeats well inside the session timeout: survivors of a crash hear of the rebalance within a second. */
    public Duration heartbeatInterval() {
        return GroupMembership.heartbeatFor(sessionTimeout);
    }

    public static WorkerConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the variables from {@code env}; a malformed value fails with the variable's name. */
    public static WorkerConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        List<String> groups = env.list(CONSUMER_GROUP);
        return new WorkerConfig(
                env.string(MODEL).map(Path::of),
                env.enumValue(DTYPE, LlavaEngine.Precision.class).orElse(LlavaEngine.Precision.FLOAT32),
                env.string(VISION_TOWER).map(Path::of),
                env.string(LORA_DIR).map(Path::of),
                env.integer(LORA_MAX_LOADED, 8),
                env.string(CONSUMER_GROUP).isPresent() ? groups : List.of(Topics.DEFAULT_CONSUMER_GROUP),
                env.integer(MAX_BATCH_SIZE, 8),
                Duration.ofMillis(env.integer(BATCH_DURATION_MILLIS, 100)),
                env.integer(PREFILL_TOKENS_PER_PASS, LlavaEngine.Options.DEFAULT_PREFILL_TOKENS_PER_PASS),
                KafkaConnection.fromEnvironment(env),
                S3Clients.endpoint(env),
                S3Clients.region(env),
                ImageIntakeConfig.fromEnvironment(variables),
                TopicProvisioner.Settings.fromEnvironment(variables),
                env.integer(IMAGE_THREADS, 4),
                Duration.ofMillis(env.integer(SHUTDOWN_GRACE_MILLIS, 30_000)),
                env.millis(JOB_CANCELLATION_LOOKBACK_MILLIS, DEFAULT_JOB_CANCELLATION_LOOKBACK),
                env.millis(SESSION_TIMEOUT_MILLIS, DEFAULT_SESSION_TIMEOUT),
                env.string(INSTANCE_ID),
                env.string(HTTP_HOST, "0.0.0.0"),
                env.integer(HTTP_PORT, DEFAULT_HTTP_PORT));
    }

    /**
     * The defaults (as with an empty environment), to change a few fields of, e.g. in tests; except the health
     * server's port, 0 (any free port), so that workers embedded in one JVM or on one machine never collide.
     */
    public static Builder builder() {
        return new Builder(fromEnvironment(Map.of())).httpPort(0);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Copies a config with some fields changed. */
    public static final class Builder {
        private Optional<Path> model;
        private LlavaEngine.Precision precision;
        private Optional<Path> visionTower;
        private Optional<Path> loraDir;
        private int loraMaxLoaded;
        private List<String> consumerGroups;
        private int maxBatchSize;
        private Duration batchDuration;
        private int prefillTokensPerPass;
        private KafkaConnection kafka;
        private Optional<URI> s3Endpoint;
        private String awsRegion;
        private ImageIntakeConfig imageIntake;
        private TopicProvisioner.Settings topics;
        private int imageThreads;
        private Duration shutdownGrace;
        private Duration jobCancellationLookback;
        private Duration sessionTimeout;
        private Optional<String> instanceId;
        private String httpHost;
        private int httpPort;

        private Builder(WorkerConfig c) {
            model = c.model;
            precision = c.precision;
            visionTower = c.visionTower;
            loraDir = c.loraDir;
            loraMaxLoaded = c.loraMaxLoaded;
            consumerGroups = c.consumerGroups;
            maxBatchSize = c.maxBatchSize;
            batchDuration = c.batchDuration;
            prefillTokensPerPass = c.prefillTokensPerPass;
            kafka = c.kafka;
            s3Endpoint = c.s3Endpoint;
            awsRegion = c.awsRegion;
            imageIntake = c.imageIntake;
            topics = c.topics;
            imageThreads = c.imageThreads;
            shutdownGrace = c.shutdownGrace;
            jobCancellationLookback = c.jobCancellationLookback;
            sessionTimeout = c.sessionTimeout;
            instanceId = c.instanceId;
            httpHost = c.httpHost;
            httpPort = c.httpPort;
        }

        public Builder model(Path value) { model = Optional.ofNullable(value); return this; }
        public Builder precision(LlavaEngine.Precision value) { precision = value; return this; }
        public Builder visionTower(Path value) { visionTower = Optional.ofNullable(value); return this; }
        public Builder loraDir(Path value) { loraDir = Optional.ofNullable(value); return this; }
        public Builder loraMaxLoaded(int value) { loraMaxLoaded = value; return this; }
        public Builder consumerGroups(String... values) { consumerGroups = List.of(values); return this; }
        public Builder maxBatchSize(int value) { maxBatchSize = value; return this; }
        public Builder batchDuration(Duration value) { batchDuration = value; return this; }
        public Builder prefillTokensPerPass(int value) { prefillTokensPerPass = value; return this; }
        public Builder kafkaBootstrapServers(String value) { kafka = KafkaConnection.of(value); return this; }
        public Builder kafka(KafkaConnection value) { kafka = value; return this; }
        public Builder s3Endpoint(URI value) { s3Endpoint = Optional.ofNullable(value); return this; }
        public Builder awsRegion(String value) { awsRegion = value; return this; }
        public Builder imageIntake(ImageIntakeConfig value) { imageIntake = value; return this; }
        public Builder topics(TopicProvisioner.Settings value) { topics = value; return this; }
        public Builder imageThreads(int value) { imageThreads = value; return this; }
        public Builder shutdownGrace(Duration value) { shutdownGrace = value; return this; }
        public Builder jobCancellationLookback(Duration value) { jobCancellationLookback = value; return this; }
        public Builder sessionTimeout(Duration value) { sessionTimeout = value; return this; }
        public Builder instanceId(String value) { instanceId = Optional.ofNullable(value); return this; }
        public Builder httpHost(String value) { httpHost = value; return this; }
        public Builder httpPort(int value) { httpPort = value; return this; }

        public WorkerConfig build() {
            return new WorkerConfig(model, precision, visionTower, loraDir, loraMaxLoaded, consumerGroups, maxBatchSize, batchDuration,
                    prefillTokensPerPass, kafka, s3Endpoint, awsRegion, imageIntake, topics, imageThreads, shutdownGrace,
                    jobCancellationLookback, sessionTimeout, instanceId, httpHost, httpPort);
        }
    }

    /** The Kafka bootstrap servers. */
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }
}
