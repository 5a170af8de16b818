package io.kaption.worker.consume;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a worker's consumers hold their group membership, which bounds how long the partitions of a crashed worker
 * stall (see gpu-worker/README.md, "Recovery after a crash").
 *
 * @param sessionTimeout    the coordinator gives a silent member's partitions to the others after this long
 * @param heartbeatInterval how often the consumer heartbeats; survivors hear of a rebalance within this long
 * @param instanceId        {@code group.instance.id} (static membership), or empty for dynamic membership
 */
public record GroupMembership(Duration sessionTimeout, Duration heartbeatInterval, Optional<String> instanceId) {

    public GroupMembership {
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(instanceId, "instanceId");
        if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
            throw new IllegalArgumentException("the heartbeat interval must be shorter than the session timeout");
        }
    }
}
