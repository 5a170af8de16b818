package io.kaption.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.schemas.topics.TopicProvisioner.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicProvisionerTest {

    @Test
    void settingsDefaultToSixPartitionsAndOneReplica() {
        assertThat(Settings.fromEnvironment(Map.of())).isEqualTo(new Settings(6, (short) 1));
    }

    @Test
    void settingsAreReadFromTheEnvironment() {
        assertThat(Settings.fromEnvironment(Map.of("KAPTION_TOPIC_PARTITIONS", " 12 ", "KAPTION_TOPIC_REPLICATION", "3")))
                .isEqualTo(new Settings(12, (short) 3));
    }

    @Test
    void malformedSettingsNameTheVariable() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("KAPTION_TOPIC_PARTITIONS", "six")))
                .hasMessage("KAPTION_TOPIC_PARTITIONS must be an integer, got 'six'");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("KAPTION_TOPIC_REPLICATION", "0")))
                .hasMessage("KAPTION_TOPIC_REPLICATION must be at least 1, got 0");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("KAPTION_TOPIC_PARTITIONS", "-1")))
                .hasMessage("KAPTION_TOPIC_PARTITIONS must be at least 1, got -1");
    }

    @Test
    void streamingTopicsOfAGroup() {
        assertThat(TopicProvisioner.streamingTopics("batch")).containsExactly("kaption.requests.batch",
                "kaption.requests.batch.dlq", "kaption.tokens", "kaption.results", "kaption.cancellations");
        assertThatThrownBy(() -> TopicProvisioner.streamingTopics("bad group"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
