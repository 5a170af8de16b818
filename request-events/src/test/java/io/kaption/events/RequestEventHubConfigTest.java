package io.kaption.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestEventHubConfigTest {

    @Test
    void defaultsWithoutEnvironment() {
        RequestEventHub.Config config = RequestEventHub.Config.fromEnvironment(Map.of());

        assertThat(config).isEqualTo(new RequestEventHub.Config("127.0.0.1:9092", Duration.ofMinutes(10), 10_000,
                Duration.ofSeconds(2)));
        assertThat(RequestEventHub.Config.defaults("127.0.0.1:9092")).isEqualTo(config);
    }

    @Test
    void readsTheEnvironment() {
        RequestEventHub.Config config = RequestEventHub.Config.fromEnvironment(Map.of(
                "KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092",
                "KAPTION_EVENT_HISTORY_SECONDS", "120",
                "KAPTION_EVENT_HISTORY_MAX_REQUESTS", "500",
                "KAPTION_EVENT_RESULT_GRACE_MILLIS", " 750 "));

        assertThat(config).isEqualTo(new RequestEventHub.Config("kafka-0:9092,kafka-1:9092", Duration.ofSeconds(120),
                500, Duration.ofMillis(750)));
    }

    @Test
    void rejectsValuesThatAreNotPositiveIntegers() {
        assertThatThrownBy(() -> RequestEventHub.Config.fromEnvironment(Map.of("KAPTION_EVENT_HISTORY_SECONDS", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_EVENT_HISTORY_SECONDS must be an integer from 1 to 2147483647, got '0'");
        assertThatThrownBy(() -> RequestEventHub.Config.fromEnvironment(
                Map.of("KAPTION_EVENT_HISTORY_MAX_REQUESTS", "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_EVENT_HISTORY_MAX_REQUESTS must be an integer from 1 to 2147483647, got 'lots'");
    }

    @Test
    void withersChangeOneSetting() {
        RequestEventHub.Config config = RequestEventHub.Config.defaults("b:1")
                .withHistoryWindow(Duration.ofSeconds(30))
                .withMaxRequests(7)
                .withResultGrace(Duration.ZERO);

        assertThat(config).isEqualTo(new RequestEventHub.Config("b:1", Duration.ofSeconds(30), 7, Duration.ZERO));
    }
}
