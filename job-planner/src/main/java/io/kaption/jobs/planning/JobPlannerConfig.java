package io.kaption.jobs.planning;

import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.topics.TopicProvisioner;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Settings of a {@link JobPlanner}.
 *
 * @param kafka                Kafka bootstrap servers and client properties (security)
 * @param s3Endpoint           S3 endpoint override (path-style), or empty for AWS's own
 * @param awsRegion            region of the S3 client
 * @param pageSize             records per page, hence per transaction and per S3 listing (1 to 1000)
 * @param instanceId           this planner's stable name: its transactional id is {@code kaption-job-planner-<id>}
 * @param cancellationLookback how far back a starting planner reads {@code kaption.cancellations}
 * @param maxLineBytes         longest manifest line read; a longer one is refused as {@code invalid_record}
 * @param topics               partitions and replication of the topics the planner creates
 * @param sessionTimeout       {@value #SESSION_TIMEOUT_MILLIS}: how long a crashed planner's partitions of
 *                             {@code kaption.jobs} stall before another replica gets them (see {@link #membership()})
 */
public record JobPlannerConfig(KafkaConnection kafka, Optional<URI> s3Endpoint, String awsRegion, int pageSize,
                               String instanceId, Duration cancellationLookback, int maxLineBytes,
                               TopicProvisioner.Settings topics, Duration sessionTimeout) {

    public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaConnection.BOOTSTRAP_SERVERS;
    public static final String S3_ENDPOINT = S3Clients.ENDPOINT;
    public static final String AWS_REGION = S3Clients.REGION;
    public static final String PAGE_SIZE = "KAPTION_JOB_PLAN_PAGE_SIZE";
    public static final String INSTANCE_ID = "KAPTION_JOB_PLANNER_INSTANCE_ID";
    public static final String SESSION_TIMEOUT_MILLIS = "KAPTION_JOB_PLANNER_SESSION_TIMEOUT_MS";

    public static final String DEFAULT_BOOTSTRAP_SERVERS = KafkaConnection.DEFAULT_BOOTSTRAP_SERVERS;
    public static final String DEFAULT_REGION = S3Clients.DEFAULT_REGION;
    public static final int DEFAULT_PAGE_SIZE = 1000;
    /** ListObjectsV2 returns at most 1000 keys per call. */
    public static final int MAX_PAGE_SIZE = 1000;
    /** Like the workers' cancellation lookback: a job older than a week that is still planning is rare. */
    public static final Duration DEFAULT_CANCELLATION_LOOKBACK = Duration.ofDays(7);
    public static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

    public JobPlannerConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(awsRegion, "awsRegion");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(cancellationLookback, "cancellationLookback");
        Objects.requireNonNull(topics, "topics");
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException(PAGE_SIZE + " must be 1 to " + MAX_PAGE_SIZE + ", got " + pageSize);
        }
        if (instanceId.isBlank()) {
            throw new IllegalArgumentException(INSTANCE_ID + " must not be blank");
        }
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        GroupMembership.requireValidSessionTimeout(SESSION_TIMEOUT_MILLIS, sessionTimeout);
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be positive, got " + maxLineBytes);
        }
    }

    /** The defaults, for {@code bootstrapServers} and AWS's own S3 endpoint. */
    public static JobPlannerConfig of(String bootstrapServers, String instanceId) {
        return new JobPlannerConfig(KafkaConnection.of(bootstrapServers), Optional.empty(), DEFAULT_REGION,
                DEFAULT_PAGE_SIZE, instanceId, DEFAULT_CANCELLATION_LOOKBACK, DEFAULT_MAX_LINE_BYTES,
                TopicProvisioner.Settings.fromEnvironment(Map.of()), GroupMembership.DEFAULT_SESSION_TIMEOUT);
    }

    public static JobPlannerConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * The Kafka variables ({@link KafkaConnection#fromEnvironment}), {@value #S3_ENDPOINT}, {@value #AWS_REGION}, {@value #PAGE_SIZE},
     * {@value #INSTANCE_ID} (default: {@code HOSTNAME}, else the local host name), and the topic settings
     * {@code KAPTION_TOPIC_PARTITIONS}, {@code KAPTION_TOPIC_REPLICATION}.
     */
    public static JobPlannerConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        return new JobPlannerConfig(
                KafkaConnection.fromEnvironment(env),
                S3Clients.endpoint(env),
                S3Clients.region(env),
                env.integer(PAGE_SIZE, DEFAULT_PAGE_SIZE),
                env.string(INSTANCE_ID).or(() -> env.string("HOSTNAME")).orElseGet(JobPlannerConfig::hostName),
                DEFAULT_CANCELLATION_LOOKBACK,
                DEFAULT_MAX_LINE_BYTES,
                TopicProvisioner.Settings.fromEnvironment(variables),
                env.millis(SESSION_TIMEOUT_MILLIS, GroupMembership.DEFAULT_SESSION_TIMEOUT));
    }

    public JobPlannerConfig withS3Endpoint(URI endpoint) {
        return new JobPlannerConfig(kafka, Optional.of(endpoint), awsRegion, pageSize, instanceId,
                cancellationLookback, maxLineBytes, topics, sessionTimeout);
    }

    public JobPlannerConfig withPageSize(int size) {
        return new JobPlannerConfig(kafka, s3Endpoint, awsRegion, size, instanceId, cancellationLookback,
                maxLineBytes, topics, sessionTimeout);
    }

    public JobPlannerConfig withInstanceId(String id) {
        return new JobPlannerConfig(kafka, s3Endpoint, awsRegion, pageSize, id, cancellationLookback,
                maxLineBytes, topics, sessionTimeout);
    }

    public JobPlannerConfig withMaxLineBytes(int bytes) {
        return new JobPlannerConfig(kafka, s3Endpoint, awsRegion, pageSize, instanceId,
                cancellationLookback, bytes, topics, sessionTimeout);
    }

    public JobPlannerConfig withTopics(TopicProvisioner.Settings settings) {
        return new JobPlannerConfig(kafka, s3Endpoint, awsRegion, pageSize, instanceId,
                cancellationLookback, maxLineBytes, settings, sessionTimeout);
    }

    /** {@code kaption-job-planner-<instance id>}: stable, so a restarted planner aborts what its crash left open. */
    public String transactionalId() {
        return JobPlanner.TRANSACTIONAL_ID_PREFIX + instanceId;
    }

    /**
     * Dynamic membership of {@code kaption-job-planner} with {@link #sessionTimeout()} (Kafka's default: 45 s): a
     * crashed replica's partitions of {@code kaption.jobs} go to another one within about that long. Not static: the
     * instance id defaults to the host name, which replicas do not always make unique (two ingest services in one
     * JVM, a compose file that sets one); two static members with one id fence each other, and the planner's only
     * gain, a restart reclaiming its partitions within the session timeout, is small for specs that wait seconds.
     */
    public GroupMembership membership() {
        return GroupMembership.of(sessionTimeout, Optional.empty());
    }

    /** A path-style client with the default credentials chain, like every service's. */
    public S3Client s3Client() {
        return S3Clients.create(s3Endpoint, awsRegion);
    }

    /** The Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot tell this host's name; set " + INSTANCE_ID, e);
        }
    }
}
