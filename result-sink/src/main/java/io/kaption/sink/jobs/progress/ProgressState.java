package io.kaption.sink.jobs.progress;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.jobs.JobUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the topology knows of one job (the value of the {@value JobProgressTopology#PROGRESS_STORE} store). Plans,
 * cancellations and outputs may arrive before the job's spec (the topics are not ordered relative to each other):
 * they are kept here, and the job has a {@link #state} only once its spec is known.
 *
 * <p>The seq of the next result line is {@link #completed} and that of the next error line {@link #failed}: each
 * line counts its record once, so the counts are the per-type seqs.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
final class ProgressState {

    JobSpec spec;
    /** The latest plan checkpoint; once {@code done}, {@code records} is the job's total. */
    JobPlan plan;
    long completed;
    long failed;
    /** Token totals of the completed records. */
    JobUsage usage = JobUsage.NONE;
    boolean cancelRequested;
    /** Null until the spec is known. */
    JobState state;
    /** Set when the end record is emitted: the state the job moves to once its outputs are written. */
    JobState finalState;
    Instant updatedAt;
    /** The end record's time: the manifest's {@code finished_at}, and the status' once terminal. */
    Instant finishedAt;
    String manifestUri;

    boolean ended() {
        return finalState != null;
    }

    /** Planning is done and every planned record has its line. */
    boolean allRecordsFinished() {
        return plan != null && plan.done() && completed + failed >= plan.records();
    }

    /**
     * The state the job ends in: {@code cancelled} if cancel was asked, else {@code failed} if the plan failed or no
     * record completed but some failed, else {@code partially_completed} if some failed, else {@code completed}.
     */
    JobState outcome() {
        if (cancelRequested) {
            return JobState.CANCELLED;
        }
        if ((plan != null && plan.error() != null) || (completed == 0 && failed > 0)) {
            return JobState.FAILED;
        }
        return failed > 0 ? JobState.PARTIALLY_COMPLETED : JobState.COMPLETED;
    }

    void touch(Instant at) {
        if (updatedAt == null || at.isAfter(updatedAt)) {
            updatedAt = at;
        }
    }

    /** The job's status as {@code state}; needs the spec. */
    JobStatus status(JobState asState, Instant finished) {
        JobCounts counts = new JobCounts(plan != null && plan.done() ? plan.records() : null,
                plan == null ? 0 : plan.records(), completed, failed);
        return new JobStatus(spec.jobId(), asState, spec.input(), spec.inputFormat(), spec.output(),
                spec.consumerGroup(), spec.clientToken(), spec.createdAt(), updatedAt, finished, counts, usage,
                plan == null ? null : plan.error(), manifestUri);
    }

    /** JSON through Jackson: an internal value of the changelog, not a contract. */
    static final class JsonSerde implements Serde<ProgressState> {

        private static final ObjectMapper MAPPER = JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();

        @Override
        public Serializer<ProgressState> serializer() {
            return (topic, state) -> {
                try {
                    return state == null ? null : MAPPER.writeValueAsBytes(state);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
        }

        @Override
        public Deserializer<ProgressState> deserializer() {
            return (topic, bytes) -> {
                try {
                    return bytes == null ? null : MAPPER.readValue(bytes, ProgressState.class);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
        }
    }
}
