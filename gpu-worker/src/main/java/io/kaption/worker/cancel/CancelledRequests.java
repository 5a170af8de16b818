package io.kaption.worker.cancel;

import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Request ids and bucket-job ids someone asked to cancel, remembered for a while. Thread-safe.
 *
 * <p>A request cancellation may arrive before the request itself (still queued in Kafka), so it is kept until it is
 * old enough that the request is surely gone (10 minutes after it was read). A job cancellation concerns every
 * request of the job, which may sit in the bulk lane for days: it is kept for the job retention, counted from when
 * it was published (it may be read back from the topic long after), as long as the cancellations topic keeps it.
 * Both are bounded in size; the oldest are forgotten first.
 */
public final class CancelledRequests {

    /** How long a request cancellation is remembered. */
    public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
    /** Most request cancellations remembered at once. */
    public static final int DEFAULT_CAPACITY = 100_000;
    /** Most job cancellations remembered at once (far more than jobs are ever cancelled within a retention). */
    public static final int DEFAULT_JOB_CAPACITY = 100_000;

    private record Entry(String reason, long at) {}

    private final Map<String, Entry> requests = new LinkedHashMap<>();
    private final Map<String, Entry> jobs = new LinkedHashMap<>();
    private final long retentionNanos;
    private final int capacity;
    private final LongSupplier nanoTime;
    private final long jobRetentionMillis;
    private final int jobCapacity;
    private final LongSupplier currentMillis;

    /** @param jobRetention how long after its publication a job cancellation is honoured */
    public CancelledRequests(Duration jobRetention) {
        this(DEFAULT_RETENTION, DEFAULT_CAPACITY, System::nanoTime, jobRetention, DEFAULT_JOB_CAPACITY,
                System::currentTimeMillis);
    }

    CancelledRequests(Duration retention, int capacity, LongSupplier nanoTime, Duration jobRetention,
            int jobCapacity, LongSupplier currentMillis) {
        this.retentionNanos = retention.toNanos();
        this.capacity = capacity;
        this.nanoTime = nanoTime;
        this.jobRetentionMillis = jobRetention.toMillis();
        this.jobCapacity = jobCapacity;
        this.currentMillis = currentMillis;
    }

    /** Remembers that {@code requestId} is cancelled; {@code reason} may be null. */
    public synchronized void cancel(String requestId, String reason) {
        remember(requests, requestId, reason, nanoTime.getAsLong(), retentionNanos, capacity);
    }

    /**
     * Remembers that every request of {@code jobId} is cancelled.
     *
     * @param reason      may be null
     * @param publishedAt when the cancellation was published (its record's timestamp), epoch ms
     */
    public synchronized void cancelJob(String jobId, String reason, long publishedAt) {
        remember(jobs, jobId, reason, publishedAt, jobRetentionMillis, jobCapacity);
        // Entries are ordered by when they were read, which during a replay is not quite their age: drop those
        // expired wherever they are, so the bound holds. Job cancellations are rare; this is cheap.
        long now = currentMillis.getAsLong();
        jobs.values().removeIf(entry -> now - entry.at() > jobRetentionMillis);
    }

    /** Adds or renews an entry (re-inserted: insertion order stays read order), then drops the oldest over bounds. */
    private static void remember(Map<String, Entry> entries, String id, String reason, long at, long retention,
            int capacity) {
        entries.remove(id);
        entries.put(id, new Entry(reason == null ? "" : reason, at));
        Iterator<Entry> oldest = entries.values().iterator();
        while (oldest.hasNext()) {
            Entry entry = oldest.next();
            if (entries.size() <= capacity && at - entry.at() <= retention) {
                break;
            }
            oldest.remove();
        }
    }

    /** The reason given (possibly empty) when {@code requestId} was cancelled recently; empty when it was not. */
    public synchronized Optional<String> reason(String requestId) {
        Entry entry = requests.get(requestId);
        if (entry == null || nanoTime.getAsLong() - entry.at() > retentionNanos) {
            return Optional.empty();
        }
        return Optional.of(entry.reason());
    }

    /** The reason given (possibly empty) when job {@code jobId} was cancelled within the job retention. */
    public synchronized Optional<String> jobReason(String jobId) {
        Entry entry = jobs.get(jobId);
        if (entry == null || currentMillis.getAsLong() - entry.at() > jobRetentionMillis) {
            return Optional.empty();
        }
        return Optional.of(entry.reason());
    }

    /**
     * Why {@code request} must not run or go on: its own cancellation, else its job's; empty when neither was
     * cancelled. The failure has code {@value Cancellation#ERROR_CODE}.
     */
    public Optional<Failure> failure(GenerationRequest request) {
        Optional<String> own = reason(request.requestId());
        if (own.isPresent()) {
            return Optional.of(failure("request cancelled", own.get()));
        }
        return jobFailure(request);
    }

    /** Why {@code request} must not run because its job was cancelled; empty when it is no job's or not cancelled. */
    public Optional<Failure> jobFailure(GenerationRequest request) {
        if (request.jobId() == null) {
            return Optional.empty();
        }
        return jobReason(request.jobId()).map(reason -> failure("job " + request.jobId() + " cancelled", reason));
    }

    private static Failure failure(String what, String reason) {
        return new Failure(Cancellation.ERROR_CODE, reason.isEmpty() ? what : what + " (" + reason + ")");
    }

    synchronized int size() {
        return requests.size();
    }

    synchronized int jobCount() {
        return jobs.size();
    }
}
