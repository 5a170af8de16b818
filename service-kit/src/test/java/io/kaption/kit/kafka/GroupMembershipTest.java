package io.kaption.kit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.kit.env.Env;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GroupMembershipTest {

    @Test
    void defaultsToSixSecondsWithHeartbeatsEverySecondAndDynamicMembership() {
        GroupMembership membership = GroupMembership.fromEnvironment(Env.of(Map.of()), "X_SESSION_TIMEOUT_MS",
                "X_INSTANCE_ID");

        assertThat(membership).isEqualTo(new GroupMembership(Duration.ofSeconds(6), Duration.ofSeconds(1),
                Optional.empty()));
        assertThat(membership.consumerProperties()).containsOnly(Map.entry("session.timeout.ms", 6000),
                Map.entry("heartbeat.interval.ms", 1000));
    }

    @Test
    void readsTheTimeoutAndTheStaticId() {
        GroupMembership membership = GroupMembership.fromEnvironment(Env.of(Map.of("X_SESSION_TIMEOUT_MS", "2400",
                "X_INSTANCE_ID", "sink-1")), "X_SESSION_TIMEOUT_MS", "X_INSTANCE_ID");

        assertThat(membership.consumerProperties()).containsOnly(Map.entry("session.timeout.ms", 2400),
                Map.entry("heartbeat.interval.ms", 800), Map.entry("group.instance.id", "sink-1"));
    }

    @Test
    void heartbeatsAtMostEverySecondAndWellInsideTheSession() {
        assertThat(GroupMembership.heartbeatFor(Duration.ofSeconds(45))).isEqualTo(Duration.ofSeconds(1));
        assertThat(GroupMembership.heartbeatFor(Duration.ofMillis(900))).isEqualTo(Duration.ofMillis(300));
        assertThat(GroupMembership.heartbeatFor(Duration.ofMillis(2))).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void refusesMalformedValuesNamingTheVariable() {
        assertThatThrownBy(() -> GroupMembership.fromEnvironment(Env.of(Map.of("X_SESSION_TIMEOUT_MS", "0")),
                "X_SESSION_TIMEOUT_MS", "X_INSTANCE_ID"))
                .hasMessage("X_SESSION_TIMEOUT_MS must be at least 1, got 0");
        assertThatThrownBy(() -> GroupMembership.fromEnvironment(Env.of(Map.of("X_INSTANCE_ID", "pod/1")),
                "X_SESSION_TIMEOUT_MS", "X_INSTANCE_ID"))
                .hasMessage("X_INSTANCE_ID must be 1 to 249 of a-z A-Z 0-9 . _ -, got 'pod/1'");
        assertThatThrownBy(() -> new GroupMembership(Duration.ofSeconds(1), Duration.ofSeconds(1), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
