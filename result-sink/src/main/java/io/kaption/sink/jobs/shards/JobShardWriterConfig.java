package io.kaption.sink.jobs.shards;

import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the {@link JobShardWriter}.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param recordsTopic     where the progress topology writes the jobs' lines and ends ({@code kaption.job-records})
 * @param outputsTopic     where the writer reports a job's outputs as written ({@code kaption.job-outputs})
 * @param groupId          consumer group of the writers ({@value JobShardWriter#GROUP_ID})
 * @param shardRecords     lines per shard: shard {@code n} holds the seqs {@code [n·N, (n+1)·N)}
 * @param topics           partitions and replication of the topics the writer creates when missing
 */
public record JobShardWriterConfig(String bootstrapServers, String recordsTopic, String outputsTopic, String groupId,
                                   int shardRecords, TopicProvisioner.Settings topics) {

    public static final String SHARD_RECORDS = "KAPTION_JOB_SHARD_RECORDS";
    public static final int DEFAULT_SHARD_RECORDS = 1000;
    /** Keeps a shard (and the two a job may buffer) within a sane amount of memory. */
    public static final int MAX_SHARD_RECORDS = 1_000_000;
    static final String BOOTSTRAP_SERVERS = "KAPTION_KAFKA_BOOTSTRAP_SERVERS";
    static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    public JobShardWriterConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(recordsTopic, "recordsTopic");
        Objects.requireNonNull(outputsTopic, "outputsTopic");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(topics, "topics");
        if (shardRecords < 1 || shardRecords > MAX_SHARD_RECORDS) {
            throw new IllegalArgumentException(SHARD_RECORDS + " must be 1 to " + MAX_SHARD_RECORDS + ", got "
                    + shardRecords);
        }
    }

    /** The contract's topics, group {@value JobShardWriter#GROUP_ID}, 1000 lines per shard, default topic settings. */
    public static JobShardWriterConfig defaults(String bootstrapServers) {
        return new JobShardWriterConfig(bootstrapServers, Topics.JOB_RECORDS, Topics.JOB_OUTPUTS, JobShardWriter.GROUP_ID,
                DEFAULT_SHARD_RECORDS, TopicProvisioner.Settings.fromEnvironment(Map.of()));
    }

    public static JobShardWriterConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * {@code KAPTION_KAFKA_BOOTSTRAP_SERVERS}, {@value #SHARD_RECORDS}, and the topic settings
     * {@code KAPTION_TOPIC_PARTITIONS}, {@code KAPTION_TOPIC_REPLICATION}.
     */
    public static JobShardWriterConfig fromEnvironment(Map<String, String> env) {
        String bootstrap = env.getOrDefault(BOOTSTRAP_SERVERS, "").trim();
        return defaults(bootstrap.isEmpty() ? DEFAULT_BOOTSTRAP_SERVERS : bootstrap)
                .withShardRecords(shardRecords(env))
                .withTopicSettings(TopicProvisioner.Settings.fromEnvironment(env));
    }

    public JobShardWriterConfig withTopics(String records, String outputs) {
        return new JobShardWriterConfig(bootstrapServers, records, outputs, groupId, shardRecords, topics);
    }

    public JobShardWriterConfig withGroupId(String group) {
        return new JobShardWriterConfig(bootstrapServers, recordsTopic, outputsTopic, group, shardRecords, topics);
    }

    public JobShardWriterConfig withShardRecords(int records) {
        return new JobShardWriterConfig(bootstrapServers, recordsTopic, outputsTopic, groupId, records, topics);
    }

    public JobShardWriterConfig withTopicSettings(TopicProvisioner.Settings settings) {
        return new JobShardWriterConfig(bootstrapServers, recordsTopic, outputsTopic, groupId, shardRecords, settings);
    }

    private static int shardRecords(Map<String, String> env) {
        String value = env.get(SHARD_RECORDS);
        if (value == null || value.isBlank()) {
            return DEFAULT_SHARD_RECORDS;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SHARD_RECORDS + " must be an integer from 1 to " + MAX_SHARD_RECORDS
                    + ", got '" + value + "'");
        }
    }
}
