package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Value of {@code kaption.workers} (schema {@code kaption.workers/v1.json}): a GPU worker saying which consumer groups
 * it serves with which model, repeated every {@code announceIntervalMs}; a tombstone when it stops.
 *
 * @param modelType    null when unknown
 * @param host         null when unknown
 * @param loraAdapters the LoRA adapters served ({@code lora_id} values), or null when none
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkerAnnouncement(
        String workerId,
        List<String> consumerGroups,
        String model,
        String modelType,
        String dtype,
        int maxBatchSize,
        String host,
        Instant startedAt,
        Instant announcedAt,
        long announceIntervalMs,
        List<String> loraAdapters) {

    /** Announcements missed before a worker is taken as gone. */
    public static final int MISSED_ANNOUNCEMENTS = 3;

    /** A worker serving no LoRA adapters. */
    public WorkerAnnouncement(String workerId, List<String> consumerGroups, String model, String modelType,
            String dtype, int maxBatchSize, String host, Instant startedAt, Instant announcedAt,
            long announceIntervalMs) {
        this(workerId, consumerGroups, model, modelType, dtype, maxBatchSize, host, startedAt, announcedAt,
                announceIntervalMs, null);
    }

    public WorkerAnnouncement {
        Objects.requireNonNull(workerId, "worker_id");
        consumerGroups = List.copyOf(consumerGroups);
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(startedAt, "started_at");
        Objects.requireNonNull(announcedAt, "announced_at");
        loraAdapters = loraAdapters == null ? null : List.copyOf(loraAdapters);
    }

    /** Whether the worker still counts as alive at {@code now}: its last announcement is at most three intervals old. */
    public boolean aliveAt(Instant now) {
        return !now.isAfter(announcedAt.plus(Duration.ofMillis(announceIntervalMs * MISSED_ANNOUNCEMENTS)));
    }
}
