package io.kaption.sink.jobs.progress;

import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the {@link JobProgress} application.
 *
 * @param kafka            Kafka bootstrap servers and client properties (security)
 * @param applicationId    Kafka Streams {@code application.id}: consumer group, transactional id and internal
 *                         topic prefix; {@value #APPLICATION_ID} in production, one of their own in tests
 * @param stateDir         where the state stores live (RocksDB); kept across restarts so a restarted app need not
 *                         restore them from their changelogs
 * @param topicSettings    partitions and replication of the topics it creates, and replication of its internal ones
 * @param topics           the topics it reads and writes
 */
public record JobProgressConfig(KafkaConnection kafka, String applicationId, Path stateDir,
                                TopicProvisioner.Settings topicSettings, ProgressTopics topics) {

    public static final String APPLICATION_ID = "kaption-job-progress";
    public static final String STATE_DIR = "KAPTION_SINK_STATE_DIR";
    /** Record cache of the stores, for all of them together: small, the stores are read per event anyway. */
    static final long CACHE_BYTES = 1024 * 1024;

    public JobProgressConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(topicSettings, "topicSettings");
        Objects.requireNonNull(topics, "topics");
    }

    /** The contract's topics, application id {@value #APPLICATION_ID}, state under {@code java.io.tmpdir}. */
    public static JobProgressConfig defaults(String bootstrapServers) {
        return new JobProgressConfig(KafkaConnection.of(bootstrapServers), APPLICATION_ID, defaultStateDir(),
                TopicProvisioner.Settings.fromEnvironment(Map.of()), ProgressTopics.DEFAULT);
    }

    public static JobProgressConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * The Kafka variables ({@link KafkaConnection#fromEnvironment}), {@value #STATE_DIR} (default {@code <java.io.tmpdir>/kaption-sink-state}),
     * {@code KAPTION_TOPIC_PARTITIONS} and {@code KAPTION_TOPIC_REPLICATION}.
     */
    public static JobProgressConfig fromEnvironment(Map<String, String> env) {
        Env variables = Env.of(env);
        return new JobProgressConfig(KafkaConnection.fromEnvironment(variables), APPLICATION_ID,
                variables.string(STATE_DIR).map(Path::of).orElseGet(JobProgressConfig::defaultStateDir),
                TopicProvisioner.Settings.fromEnvironment(env), ProgressTopics.DEFAULT);
    }

    public JobProgressConfig withApplicationId(String id) {
        return new JobProgressConfig(kafka, id, stateDir, topicSettings, topics);
    }

    public JobProgressConfig withStateDir(Path dir) {
        return new JobProgressConfig(kafka, applicationId, dir, topicSettings, topics);
    }

    public JobProgressConfig withTopics(ProgressTopics names) {
        return new JobProgressConfig(kafka, applicationId, stateDir, topicSettings, names);
    }

    /**
     * {@link #streamsProperties()} with the main consumer's group membership: the session timeout bounds how long a
     * crashed replica's tasks stall (Kafka's default: 45 s), and a static id lets a restarted replica take its tasks
     * back without a rebalance, its stores still in {@code stateDir}. A false expiry (a pause longer than the session
     * timeout) moves tasks, whose stores the new owner restores from their changelogs before it goes on; one standby
     * replica (on a second sink replica, if there is one) keeps a copy warm so a move costs little. The restore and
     * global consumers join no group.
     */
    public Properties streamsProperties(GroupMembership membership) {
        Properties props = streamsProperties();
        membership.consumerProperties().forEach((name, value) -> props.put(StreamsConfig.mainConsumerPrefix(name),
                value));
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        return props;
    }

    /** The Kafka Streams configuration: the connection's properties, exactly-once v2, one thread, small caches. */
    public Properties streamsProperties() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, CACHE_BYTES);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topicSettings.replicationFactor());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // A dead letter carries a value its source topic accepted plus the reason headers.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES);
        return kafka.streams(props);
    }

    /** The Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    private static Path defaultStateDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "kaption-sink-state");
    }
}
