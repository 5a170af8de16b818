package io.kaption.sink.jobs.progress;

import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.sink.jobs.progress.DecodeProcessor.Decoded;
import io.kaption.sink.jobs.progress.JobProgressProcessor.Emitted;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The progress topology of bucket jobs.
 *
 * <pre>
 * kaption.jobs, kaption.job-plans, kaption.results (job_id set), kaption.cancellations (job_id set),
 * kaption.job-outputs ── decode (schema failures → &lt;topic&gt;.dlq) ── key job_id ── one repartition topic
 *   ── progress (stores: job-progress, job-progress-seen, job-progress-parked)
 *        ├─ JobRecord lines (dense seq per type) and the end record ──▶ kaption.job-records
 *        └─ JobStatus on every change ──▶ kaption.job-status
 * </pre>
 *
 * Rules: the first result of a request counts and later ones are dropped (dedup store keyed by job and request);
 * results of a job whose spec has not arrived are parked until it does; spec → {@code validating}, first plan →
 * {@code in_progress}, cancel → {@code cancelling} (unless finalizing or terminal); planning done and every planned
 * record with its line → {@code finalizing} and one end record whose status has the final state; the job's
 * outputs → that final state with {@code manifest_uri} and {@code finished_at}. Events after the end change nothing.
 */
public final class JobProgressTopology {

    /** Per job: a {@link ProgressState}. */
    public static final String PROGRESS_STORE = "job-progress";
    /** Per (job, request) with a line: its type; emptied when the job ends. */
    public static final String SEEN_STORE = "job-progress-seen";
    /** Per (job, request): its first result while the job's spec is unknown. */
    public static final String PARKED_STORE = "job-progress-parked";
    /** Jobs that have ended whose dedup and parking entries are still being deleted, a batch per second. */
    public static final String CLEANUP_STORE = "job-progress-cleanup";
    /** Name of the repartition topic ({@code <application.id>-job-events-repartition}). */
    static final String EVENTS = "job-events";

    private JobProgressTopology() {}

    public static Topology build(ProgressTopics topics) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS_STORE),
                Serdes.String(), new ProgressState.JsonSerde()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SEEN_STORE),
                Serdes.String(), Serdes.String()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PARKED_STORE),
                Serdes.String(), new ContractSerde<>(ContractCodec.RESULTS)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLEANUP_STORE),
                Serdes.String(), Serdes.String()));

        KStream<String, JobEvent> events = decoded(builder, topics.jobs(), ContractCodec.JOBS, JobEvent.Spec::new, true)
                .merge(decoded(builder, topics.jobPlans(), ContractCodec.JOB_PLANS, JobEvent.Plan::new, true))
                .merge(decoded(builder, topics.results(), ContractCodec.RESULTS,
                        result -> result.jobId() == null ? null : new JobEvent.Result(result), false))
                .merge(decoded(builder, topics.cancellations(), ContractCodec.CANCELLATIONS,
                        cancel -> cancel.jobId() == null ? null : new JobEvent.Cancel(cancel), false))
                .merge(decoded(builder, topics.jobOutputs(), ContractCodec.JOB_OUTPUTS, JobEvent.Outputs::new, false));

        KStream<String, Emitted> emitted = events
                .repartition(Repartitioned.<String, JobEvent>as(EVENTS)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(new JobEvent.JsonSerde()))
                .process(JobProgressProcessor::new, Named.as("job-progress"),
                        PROGRESS_STORE, SEEN_STORE, PARKED_STORE, CLEANUP_STORE);
        emitted.filter((jobId, value) -> value instanceof Emitted.Line, Named.as("job-records"))
                .mapValues(value -> ((Emitted.Line) value).record())
                .to(topics.jobRecords(), Produced.with(Serdes.String(), new ContractSerde<JobRecord>(
                        ContractCodec.JOB_RECORDS)).withName("write-job-records"));
        emitted.filter((jobId, value) -> value instanceof Emitted.Status, Named.as("job-status"))
                .mapValues(value -> ((Emitted.Status) value).status())
                .to(topics.jobStatus(), Produced.with(Serdes.String(), new ContractSerde<JobStatus>(
                        ContractCodec.JOB_STATUS)).withName("write-job-status"));
        return builder.build();
    }

    /** The valid job events of {@code topic}, keyed by job id; its invalid values go to {@code <topic>.dlq}. */
    private static <T> KStream<String, JobEvent> decoded(StreamsBuilder builder, String topic, ContractCodec<T> codec,
                                                         Function<T, JobEvent> toEvent, boolean compacted) {
        KStream<String, Decoded> decoded = builder
                .stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("read-" + topic))
                .process(() -> new DecodeProcessor<>(codec, toEvent, compacted), Named.as("decode-" + topic));
        decoded.filter((key, value) -> value instanceof Decoded.DeadLetter, Named.as("invalid-" + topic))
                .map((key, value) -> {
                    Decoded.DeadLetter letter = (Decoded.DeadLetter) value;
                    return KeyValue.pair(letter.key(), letter.value());
                }, Named.as("unwrap-invalid-" + topic))
                .to(Topics.dlq(topic), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName("dead-letter-" + topic));
        return decoded.filter((key, value) -> value instanceof Decoded.Event, Named.as("valid-" + topic))
                .mapValues(value -> ((Decoded.Event) value).event(), Named.as("event-" + topic));
    }
}
