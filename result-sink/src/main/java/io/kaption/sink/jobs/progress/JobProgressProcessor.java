package io.kaption.sink.jobs.progress;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of job progress, applied to the events of each job (keyed by job id) in the order they arrive. Emits the
 * job's lines and end record, and its status whenever it changed. See {@link JobProgressTopology}.
 */
final class JobProgressProcessor implements Processor<String, JobEvent, String, JobProgressProcessor.Emitted> {

    private static final Logger log = LoggerFactory.getLogger(JobProgressProcessor.class);
    private static final StringSerializer PREFIX_SERIALIZER = new StringSerializer();
    /**
     * Dedup and parking entries deleted per punctuation, all jobs together: each deletion is a changelog tombstone in
     * the task's transaction, so an ended job of millions of records is cleaned up over many commits, never in one
     * transaction that could outlast {@code transaction.timeout.ms}.
     */
    static final int DELETE_BATCH = 10_000;
    static final Duration CLEANUP_INTERVAL = Duration.ofSeconds(1);

    /** What the processor emits: a record for {@code kaption.job-records} or a status for {@code kaption.job-status}. */
    sealed interface Emitted {
        record Line(JobRecord record) implements Emitted {}

        record Status(JobStatus status) implements Emitted {}
    }

    private ProcessorContext<String, Emitted> context;
    private KeyValueStore<String, ProgressState> progress;
    private KeyValueStore<String, String> seen;
    private KeyValueStore<String, GenerationResult> parked;
    private KeyValueStore<String, String> cleanup;
    /** Timestamp of the input record being processed: what it emits carries it, so replays emit the same. */
    private long timestamp;

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        this.context = context;
        this.progress = context.getStateStore(JobProgressTopology.PROGRESS_STORE);
        this.seen = context.getStateStore(JobProgressTopology.SEEN_STORE);
        this.parked = context.getStateStore(JobProgressTopology.PARKED_STORE);
        this.cleanup = context.getStateStore(JobProgressTopology.CLEANUP_STORE);
        context.schedule(CLEANUP_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> cleanUp());
    }

    @Override
    public void process(Record<String, JobEvent> record) {
        String jobId = record.key();
        ProgressState job = progress.get(jobId);
        if (job == null) {
            job = new ProgressState();
        }
        timestamp = record.timestamp();
        Instant at = Instant.ofEpochMilli(timestamp);
        boolean changed;
        if (record.value() instanceof JobEvent.Spec spec) {
            changed = onSpec(job, spec, at);
        } else if (record.value() instanceof JobEvent.Plan plan) {
            changed = onPlan(job, plan, at);
        } else if (record.value() instanceof JobEvent.Result result) {
            changed = onResult(job, result.result(), at);
        } else if (record.value() instanceof JobEvent.Cancel) {
            changed = onCancel(job, at);
        } else if (record.value() instanceof JobEvent.Outputs outputs) {
            changed = onOutputs(job, outputs, at);
        } else {
            throw new IllegalStateException("unknown job event " + record.value());
        }
        if (changed) {
            progress.put(jobId, job);
            if (job.spec != null) {
                emit(jobId, new Emitted.Status(job.status(job.state,
                        job.state.isTerminal() ? job.finishedAt : null)));
            }
        }
    }

    private boolean onSpec(ProgressState job, JobEvent.Spec event, Instant at) {
        if (job.spec != null) {
            return false; // the same job submitted again: kaption.jobs is compacted and the spec never changes
        }
        job.spec = event.spec();
        job.touch(event.spec().createdAt());
        job.touch(at);
        job.state = job.cancelRequested ? JobState.CANCELLING
                : job.plan != null ? JobState.IN_PROGRESS : JobState.VALIDATING;
        log.info("job {}: {}", job.spec.jobId(), job.state.name().toLowerCase());
        List<KeyValue<String, GenerationResult>> waiting = new ArrayList<>();
        try (KeyValueIterator<String, GenerationResult> it =
                     parked.prefixScan(jobPrefix(job.spec.jobId()), PREFIX_SERIALIZER)) {
            it.forEachRemaining(waiting::add);
        }
        for (KeyValue<String, GenerationResult> entry : waiting) {
            parked.delete(entry.key);
            addLine(job, entry.value);
        }
        finishIfDone(job);
        return true;
    }

    private boolean onPlan(ProgressState job, JobEvent.Plan event, Instant at) {
        if (job.ended() || (job.plan != null && (job.plan.done() || event.plan().records() < job.plan.records()))) {
            return false; // a done plan is the last word; an older checkpoint says nothing new
        }
        job.plan = event.plan();
        job.touch(at);
        if (job.plan.cancelled()) {
            job.cancelRequested = true;
        }
        if (job.spec != null) {
            job.state = job.cancelRequested ? JobState.CANCELLING : JobState.IN_PROGRESS;
            finishIfDone(job);
        }
        return true;
    }

    private boolean onResult(ProgressState job, GenerationResult result, Instant at) {
        if (job.spec == null) {
            // Its spec has not arrived yet: the line needs the job's output. The first result of a request is kept.
            parked.putIfAbsent(key(result.jobId(), result.requestId()), result);
            return false;
        }
        if (job.ended()) {
            log.debug("job {}: result {} after the end ignored", result.jobId(), result.requestId());
            return false;
        }
        job.touch(at);
        if (!addLine(job, result)) {
            return false;
        }
        finishIfDone(job);
        return true;
    }

    private boolean onCancel(ProgressState job, Instant at) {
        if (job.ended() || job.cancelRequested) {
            return false;
        }
        job.cancelRequested = true;
        job.touch(at);
        if (job.spec != null) {
            job.state = JobState.CANCELLING;
            log.info("job {}: cancelling", job.spec.jobId());
        }
        return true;
    }

    private boolean onOutputs(ProgressState job, JobEvent.Outputs event, Instant at) {
        if (job.state != JobState.FINALIZING) {
            if (job.state == null || !job.state.isTerminal()) {
                log.warn("job {}: outputs written before its end record ignored ({})", event.jobId(),
                        job.state == null ? "no spec" : job.state.name().toLowerCase());
            }
            return false;
        }
        job.touch(at);
        job.state = job.finalState;
        job.manifestUri = event.outputs().manifestUri();
        log.info("job {}: {}, manifest {}", event.jobId(), job.state.name().toLowerCase(), job.manifestUri);
        return true;
    }

    /** Emits the line of {@code result} unless its request already has one; true when it did. */
    private boolean addLine(ProgressState job, GenerationResult result) {
        String key = key(result.jobId(), result.requestId());
        if (seen.get(key) != null) {
            log.debug("job {}: duplicate result of {} dropped", result.jobId(), result.requestId());
            return false;
        }
        long seq;
        if (result.finishReason() == FinishReason.ERROR) {
            seq = job.failed++;
        } else {
            seq = job.completed++;
            if (result.usage() != null) {
                job.usage = job.usage.plus(result.usage().promptTokens(), result.usage().completionTokens());
            }
        }
        JobRecord line = JobRecord.line(result, job.spec.output(), seq);
        seen.put(key, line.type().name());
        emit(result.jobId(), new Emitted.Line(line));
        return true;
    }

    /**
     * Once planning is done and every record has its line: the job is finalizing, and its end record (whose status
     * already has the final state) tells the shard writer to write the last shards and the manifest. No result can
     * change the job any more, so its dedup entries go (a batch at a time, see {@link #cleanUp}).
     */
    private void finishIfDone(ProgressState job) {
        if (job.ended() || job.spec == null || !job.allRecordsFinished()) {
            return;
        }
        job.finalState = job.outcome();
        job.state = JobState.FINALIZING;
        job.finishedAt = job.updatedAt;
        emit(job.spec.jobId(), new Emitted.Line(JobRecord.end(job.status(job.finalState, job.finishedAt))));
        log.info("job {}: finalizing, ends {} ({} completed, {} failed)", job.spec.jobId(),
                job.finalState.name().toLowerCase(), job.completed, job.failed);
        cleanup.put(job.spec.jobId(), job.spec.jobId());
    }

    /** Deletes up to {@link #DELETE_BATCH} entries of ended jobs; a job leaves the cleanup list once it has none. */
    private void cleanUp() {
        List<String> jobs = new ArrayList<>();
        try (KeyValueIterator<String, String> it = cleanup.all()) {
            it.forEachRemaining(entry -> jobs.add(entry.key));
        }
        int budget = DELETE_BATCH;
        for (String jobId : jobs) {
            budget -= deleteEntries(seen, jobId, budget);
            budget -= deleteEntries(parked, jobId, budget);
            if (budget == 0) {
                return; // the job may have more: the next punctuation goes on
            }
            cleanup.delete(jobId);
        }
    }

    /** Deletes up to {@code limit} of the job's entries in {@code store}; returns how many it deleted. */
    private static <V> int deleteEntries(KeyValueStore<String, V> store, String jobId, int limit) {
        List<String> batch = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(jobPrefix(jobId), PREFIX_SERIALIZER)) {
            while (it.hasNext() && batch.size() < limit) {
                batch.add(it.next().key);
            }
        }
        batch.forEach(store::delete);
        return batch.size();
    }

    private void emit(String jobId, Emitted value) {
        context.forward(new Record<>(jobId, value, timestamp));
    }

    /**
     * Key of a request in the dedup and parking stores: the job id, length first, so that the keys of one job share
     * a prefix no other job's keys have (whatever characters the ids hold).
     */
    static String key(String jobId, String requestId) {
        return jobPrefix(jobId) + requestId;
    }

    static String jobPrefix(String jobId) {
        return jobId.length() + ":" + jobId + ":";
    }
}
