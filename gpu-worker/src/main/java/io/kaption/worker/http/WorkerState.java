package io.kaption.worker.http;

import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What the worker's probes report: where the worker is in its life, and how many partitions each of its consumer
 * groups has assigned to it right now.
 *
 * @param partitionsByGroup partitions assigned per served group ({@code TAKEOFF_CONSUMER_GROUP}), request topic and
 *                          bulk lane together
 */
public record WorkerState(Phase phase, Map<String, Integer> partitionsByGroup) {

    public enum Phase {
        /** Loading the model, creating topics, reading job cancellations: not consuming yet. */
        STARTING,
        /** Consumers run (whether they have partitions is in {@code partitionsByGroup}). */
        RUNNING,
        /** Closing: no longer takes requests. */
        STOPPING,
        /** Stopped, or stopping, after a fatal error. */
        FAILED
    }

    public WorkerState {
        Objects.requireNonNull(phase, "phase");
        partitionsByGroup = Map.copyOf(partitionsByGroup);
    }

    /** Running, the model loaded, and in at least one group with partitions assigned: it consumes. */
    public boolean ready() {
        return phase == Phase.RUNNING && partitionsByGroup.values().stream().anyMatch(count -> count > 0);
    }

    /** Why {@link #ready()} is false, for an operator. */
    public String notReadyReason() {
        return switch (phase) {
            case STARTING -> "starting: loading the model and joining the consumer groups";
            case STOPPING -> "stopping";
            case FAILED -> "stopped after a fatal error";
            case RUNNING -> "no partitions assigned in any consumer group yet (joining, rebalancing, or more workers "
                    + "than partitions): " + partitionsByGroup.entrySet().stream()
                            .map(entry -> entry.getKey() + " " + entry.getValue()).sorted()
                            .collect(Collectors.joining(", "));
        };
    }
}
