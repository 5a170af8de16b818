package io.kaption.kit.kafka;

import io.kaption.kit.env.Env;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * How a service's consumers hold their consumer-group membership, which bounds how long the partitions of a crashed
 * member stall before the others (or its restarted self) get them. Every Kaption consumer group uses it: the workers',
 * the sink's (Kafka Streams included) and the job planner's (docs/RELIABILITY.md, "Recovery after a crash").
 *
 * @param sessionTimeout    the coordinator gives a silent member's partitions to the others after this long
 * @param heartbeatInterval how often the consumer heartbeats; survivors hear of a rebalance within this long
 * @param instanceId        {@code group.instance.id} (static membership), or empty for dynamic membership
 */
public record GroupMembership(Duration sessionTimeout, Duration heartbeatInterval, Optional<String> instanceId) {

    /**
     * The brokers' default {@code group.min.session.timeout.ms}: the shortest a classic consumer group allows, so a
     * killed member's partitions move within about this long (Kafka's own default is 45 s).
     */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(6);
    /** Kafka's rule for {@code group.instance.id} (checked by the broker on join; here at start, with the name). */
    private static final Pattern INSTANCE_ID_PATTERN = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public GroupMembership {
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(instanceId, "instanceId");
        if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
            throw new IllegalArgumentException("the heartbeat interval must be shorter than the session timeout");
        }
    }

    /** {@code sessionTimeout} with heartbeats every {@link #heartbeatFor}. */
    public static GroupMembership of(Duration sessionTimeout, Optional<String> instanceId) {
        return new GroupMembership(sessionTimeout, heartbeatFor(sessionTimeout), instanceId);
    }

    /**
     * The session timeout from {@code timeoutVariable} (milliseconds, default {@link #DEFAULT_SESSION_TIMEOUT}) and
     * the static id from {@code instanceIdVariable} (unset: dynamic membership); a malformed value fails with the
     * variable's name.
     */
    public static GroupMembership fromEnvironment(Env env, String timeoutVariable, String instanceIdVariable) {
        Duration timeout = env.millis(timeoutVariable, DEFAULT_SESSION_TIMEOUT);
        requireValidSessionTimeout(timeoutVariable, timeout);
        Optional<String> id = env.string(instanceIdVariable);
        id.ifPresent(value -> requireValidInstanceId(instanceIdVariable, value));
        return of(timeout, id);
    }

    /** Heartbeats well inside the session timeout: survivors of a crash hear of the rebalance within a second. */
    public static Duration heartbeatFor(Duration sessionTimeout) {
        return Duration.ofMillis(Math.max(1, Math.min(1000, sessionTimeout.toMillis() / 3)));
    }

    public static void requireValidSessionTimeout(String variable, Duration timeout) {
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException(variable + " must be at least 1, got " + timeout.toMillis());
        }
    }

    public static void requireValidInstanceId(String variable, String id) {
        if (!INSTANCE_ID_PATTERN.matcher(id).matches()) {
            throw new IllegalArgumentException(variable + " must be 1 to 249 of a-z A-Z 0-9 . _ -, got '" + id + "'");
        }
    }

    /** The same membership with {@code instanceId} (static membership). */
    public GroupMembership withInstanceId(String id) {
        requireValidInstanceId("group.instance.id", id);
        return new GroupMembership(sessionTimeout, heartbeatInterval, Optional.of(id));
    }

    /**
     * The consumer properties: {@code session.timeout.ms}, {@code heartbeat.interval.ms} and, for a static member,
     * {@code group.instance.id}. A static member must leave its group explicitly when it stops for good (close with
     * {@code CloseOptions.GroupMembershipOperation.LEAVE_GROUP}), or its partitions wait for the session timeout.
     */
    public Map<String, Object> consumerProperties() {
        Map<String, Object> properties = new HashMap<>();
        properties.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Math.toIntExact(sessionTimeout.toMillis()));
        properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.toIntExact(heartbeatInterval.toMillis()));
        instanceId.ifPresent(id -> properties.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        return properties;
    }
}
