package io.kaption.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.events.RequestEventHub;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.sink.jobs.JobsConfig;
import io.kaption.sink.output.OutputsConfig;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResultSinkConfigTest {

    @Test
    void defaultsWithoutEnvironment() {
        ResultSinkConfig config = ResultSinkConfig.fromEnvironment(Map.of());

        assertThat(config).isEqualTo(new ResultSinkConfig("0.0.0.0", 3002, Duration.ofSeconds(300),
                Duration.ofSeconds(15), RequestEventHub.Config.defaults("127.0.0.1:9092"),
                new OutputsConfig(true, Optional.empty(), "us-east-1", new TopicProvisioner.Settings(6, (short) 1)),
                JobsConfig.fromEnvironment(Map.of())));
        assertThat(config.jobs().enabled()).as("bucket jobs run unless turned off").isTrue();
        assertThat(ResultSinkConfig.defaults("127.0.0.1:9092").jobs().enabled())
                .as("programmatic sinks opt in").isFalse();
        assertThat(ResultSinkConfig.defaults("127.0.0.1:9092").withJobs(config.jobs())).isEqualTo(config);
    }

    @Test
    void itsConsumerGroupsFailOverWithinTheSessionTimeout() {
        assertThat(ResultSinkConfig.fromEnvironment(Map.of()).membership())
                .isEqualTo(GroupMembership.of(Duration.ofSeconds(6), Optional.empty()));
        assertThat(ResultSinkConfig.fromEnvironment(Map.of("KAPTION_SINK_SESSION_TIMEOUT_MS", "9000",
                "KAPTION_SINK_INSTANCE_ID", "sink-0")).membership())
                .isEqualTo(GroupMembership.of(Duration.ofSeconds(9), Optional.of("sink-0")));
    }

    @Test
    void readsTheEnvironmentIncludingTheHubs() {
        Map<String, String> env = new HashMap<>(Map.of(
                "KAPTION_SINK_HOST", "127.0.0.1",
                "KAPTION_SINK_PORT", "0",
                "KAPTION_SINK_WAIT_SECONDS", "5",
                "KAPTION_SINK_HEARTBEAT_SECONDS", "1",
                "KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                "KAPTION_EVENT_HISTORY_SECONDS", "60",
                "KAPTION_SINK_WRITE_OUTPUTS", "false",
                "KAPTION_S3_ENDPOINT", "http://127.0.0.1:9000",
                "AWS_REGION", "eu-central-1",
                "KAPTION_TOPIC_PARTITIONS", "3"));
        env.put("KAPTION_SINK_JOBS", "false");
        ResultSinkConfig config = ResultSinkConfig.fromEnvironment(env);

        assertThat(config).isEqualTo(new ResultSinkConfig("127.0.0.1", 0, Duration.ofSeconds(5),
                Duration.ofSeconds(1), RequestEventHub.Config.defaults("kafka:9092")
                        .withHistoryWindow(Duration.ofSeconds(60)),
                new OutputsConfig(false, Optional.of(URI.create("http://127.0.0.1:9000")), "eu-central-1",
                        new TopicProvisioner.Settings(3, (short) 1)),
                JobsConfig.fromEnvironment(env)));
        assertThat(config.jobs().enabled()).isFalse();
        assertThat(config.jobs().shards().bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.jobs().progress().topicSettings().partitions()).isEqualTo(3);
    }

    @Test
    void rejectsBadValues() {
        assertThatThrownBy(() -> ResultSinkConfig.fromEnvironment(Map.of("KAPTION_SINK_PORT", "70000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_SINK_PORT must be an integer from 0 to 65535, got '70000'");
        assertThatThrownBy(() -> ResultSinkConfig.fromEnvironment(Map.of("KAPTION_SINK_JOBS", "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_SINK_JOBS must be true or false, got 'yes'");
        assertThatThrownBy(() -> ResultSinkConfig.fromEnvironment(Map.of("KAPTION_SINK_WAIT_SECONDS", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_SINK_WAIT_SECONDS must be an integer from 1 to 2147483647, got '0'");
        assertThatThrownBy(() -> ResultSinkConfig.defaults("k:1").withHeartbeat(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("heartbeat must be positive, got PT0S");
        assertThatThrownBy(() -> ResultSinkConfig.fromEnvironment(Map.of("KAPTION_SINK_WRITE_OUTPUTS", "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_SINK_WRITE_OUTPUTS must be true or false, got 'yes'");
    }
}
