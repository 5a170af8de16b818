package io.kaption.sink.jobs.shards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JobShardWriterConfigTest {

    @Test
    void defaultsAreTheContractsTopicsAndThousandLineShards() {
        JobShardWriterConfig config = JobShardWriterConfig.fromEnvironment(Map.of());
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.recordsTopic()).isEqualTo("kaption.job-records");
        assertThat(config.outputsTopic()).isEqualTo("kaption.job-outputs");
        assertThat(config.groupId()).isEqualTo("kaption-sink-job-shards");
        assertThat(config.shardRecords()).isEqualTo(1000);
        assertThat(config.topics().partitions()).isEqualTo(6);
    }

    @Test
    void readsTheEnvironment() {
        JobShardWriterConfig config = JobShardWriterConfig.fromEnvironment(Map.of(
                "KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "KAPTION_JOB_SHARD_RECORDS", " 250 ",
                "KAPTION_TOPIC_PARTITIONS", "3"));
        assertThat(config.bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.shardRecords()).isEqualTo(250);
        assertThat(config.topics().partitions()).isEqualTo(3);
    }

    @Test
    void refusesShardSizesOutOfRange() {
        assertThatThrownBy(() -> JobShardWriterConfig.fromEnvironment(Map.of("KAPTION_JOB_SHARD_RECORDS", "0")))
                .hasMessageContaining("KAPTION_JOB_SHARD_RECORDS must be 1 to 1000000, got 0");
        assertThatThrownBy(() -> JobShardWriterConfig.fromEnvironment(Map.of("KAPTION_JOB_SHARD_RECORDS", "many")))
                .hasMessageContaining("KAPTION_JOB_SHARD_RECORDS must be a whole number");
        assertThatThrownBy(() -> JobShardWriterConfig.fromEnvironment(Map.of("KAPTION_JOB_SHARD_RECORDS", "1000001")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
