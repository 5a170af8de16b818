package io.kaption.sink.jobs.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.kit.kafka.GroupMembership;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class JobProgressConfigTest {

    @Test
    void readsTheEnvironment() {
        JobProgressConfig config = JobProgressConfig.fromEnvironment(Map.of(
                "KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092",
                "KAPTION_SINK_STATE_DIR", "/var/lib/kaption/sink",
                "KAPTION_TOPIC_REPLICATION", "3"));
        assertThat(config.bootstrapServers()).isEqualTo("kafka-1:9092");
        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/kaption/sink"));
        assertThat(config.applicationId()).isEqualTo("kaption-job-progress");
        assertThat(config.topics()).isEqualTo(ProgressTopics.DEFAULT);

        Properties props = config.streamsProperties();
        assertThat(props).containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "kaption-job-progress")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "exactly_once_v2")
                .containsEntry(StreamsConfig.STATE_DIR_CONFIG, "/var/lib/kaption/sink")
                .containsEntry(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3)
                .containsEntry(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 1024L * 1024);
    }

    @Test
    void theMainConsumerHoldsTheSinksGroupMembershipWithAStandbyReplica() {
        Properties props = JobProgressConfig.fromEnvironment(Map.of())
                .streamsProperties(GroupMembership.of(Duration.ofSeconds(6), Optional.of("local")));
        assertThat(props).containsEntry("main.consumer.session.timeout.ms", 6000)
                .containsEntry("main.consumer.heartbeat.interval.ms", 1000)
                .containsEntry("main.consumer.group.instance.id", "local")
                .containsEntry(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        assertThat(new StreamsConfig(props).getMainConsumerConfigs("kaption-job-progress", "client", 1))
                .containsEntry("session.timeout.ms", 6000)
                .containsEntry("heartbeat.interval.ms", 1000)
                .containsEntry("group.instance.id", "local-1");
    }

    @Test
    void defaultsWithoutEnvironment() {
        JobProgressConfig config = JobProgressConfig.fromEnvironment(Map.of());
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.stateDir())
                .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "kaption-sink-state"));
        assertThat(config.topicSettings()).isEqualTo(new TopicProvisioner.Settings(6, (short) 1));
    }

    @Test
    void provisionsTheJobTopicsTheInputsAndTheirDeadLetterTopics() {
        assertThat(ProgressTopics.DEFAULT.all())
                .containsAll(TopicProvisioner.jobTopics())
                .contains(Topics.RESULTS, Topics.CANCELLATIONS, "kaption.results.dlq", "kaption.jobs.dlq",
                        "kaption.job-plans.dlq", "kaption.cancellations.dlq", "kaption.job-outputs.dlq")
                .hasSize(12);
    }
}
