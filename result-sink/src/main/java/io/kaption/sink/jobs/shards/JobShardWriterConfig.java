package io.kaption.sink.jobs.shards;

import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the {@link JobShardWriter}.
 *
 * @param kafka            Kafka bootstrap servers and client properties (security)
 * @param recordsTopic     where the progress topology writes the jobs' lines and ends ({@code kaption.job-records})
 * @param outputsTopic     where the writer reports a job's outputs as written ({@code kaption.job-outputs})
 * @param groupId          consumer group of the writers ({@value JobShardWriter#GROUP_ID})
 * @param shardRecords     lines per shard: shard {@code n} holds the seqs {@code [n·N, (n+1)·N)}
 * @param topics           partitions and replication of the topics the writer creates when missing
 */
public record JobShardWriterConfig(KafkaConnection kafka, String recordsTopic, String outputsTopic, String groupId,
                                   int shardRecords, TopicProvisioner.Settings topics) {

    public static final String SHARD_RECORDS = "KAPTION_JOB_SHARD_RECORDS";
    public static final int DEFAULT_SHARD_RECORDS = 1000;
    /** Keeps a shard (and the two a job may buffer) within a sane amount of memory. */
    public static final int MAX_SHARD_RECORDS = 1_000_000;

    public JobShardWriterConfig {
        Objects.requireNonNull(kafka, "kafka");
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
        return defaults(KafkaConnection.of(bootstrapServers));
    }

    private static JobShardWriterConfig defaults(KafkaConnection kafka) {
        return new JobShardWriterConfig(kafka, Topics.JOB_RECORDS, Topics.JOB_OUTPUTS, JobShardWriter.GROUP_ID,
                DEFAULT_SHARD_RECORDS, TopicProvisioner.Settings.fromEnvironment(Map.of()));
    }

    public static JobShardWriterConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * The Kafka variables ({@link KafkaConnection#fromEnvironment}), {@value #SHARD_RECORDS}, and the topic settings
     * {@code KAPTION_TOPIC_PARTITIONS}, {@code KAPTION_TOPIC_REPLICATION}.
     */
    public static JobShardWriterConfig fromEnvironment(Map<String, String> env) {
        Env variables = Env.of(env);
        return defaults(KafkaConnection.fromEnvironment(variables))
                .withShardRecords(variables.integer(SHARD_RECORDS, DEFAULT_SHARD_RECORDS))
                .withTopicSettings(TopicProvisioner.Settings.fromEnvironment(env));
    }

    public JobShardWriterConfig withTopics(String records, String outputs) {
        return new JobShardWriterConfig(kafka, records, outputs, groupId, shardRecords, topics);
    }

    public JobShardWriterConfig withGroupId(String group) {
        return new JobShardWriterConfig(kafka, recordsTopic, outputsTopic, group, shardRecords, topics);
    }

    public JobShardWriterConfig withShardRecords(int records) {
        return new JobShardWriterConfig(kafka, recordsTopic, outputsTopic, groupId, records, topics);
    }

    public JobShardWriterConfig withTopicSettings(TopicProvisioner.Settings settings) {
        return new JobShardWriterConfig(kafka, recordsTopic, outputsTopic, groupId, shardRecords, settings);
    }

    /** The Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }
}
