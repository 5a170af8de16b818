package io.kaption.ingest.jobs;

import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The latest spec and status of every job, and an index newest first for listing. One entry per job however many
 * status records it had. Thread-safe: the directory's poll thread writes, HTTP threads read and add their own jobs.
 */
final class JobTable {

    /** The order of listings: newest first, ties by job id (descending), so that pages never overlap. */
    record ListKey(Instant createdAt, String jobId) {
        static final Comparator<ListKey> NEWEST_FIRST = Comparator.comparing(ListKey::createdAt)
                .thenComparing(ListKey::jobId).reversed();
    }

    /** @param spec null until the job's spec is read; @param status null until a status is read */
    private record Entry(JobSpec spec, JobStatus status, ListKey key) {
        JobStatus view() {
            return status != null ? status : JobStatus.submitted(spec);
        }
    }

    /** One page of a listing; {@code hasMore}: jobs follow the last one. */
    record Page(List<JobStatus> jobs, boolean hasMore) {
    }

    private final ConcurrentHashMap<String, Entry> jobs = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<ListKey> newestFirst = new ConcurrentSkipListSet<>(ListKey.NEWEST_FIRST);

    void putSpec(JobSpec spec) {
        jobs.compute(spec.jobId(), (id, entry) -> entry == null
                ? indexed(new Entry(spec, null, new ListKey(spec.createdAt(), id)))
                : new Entry(spec, entry.status(), entry.key()));
    }

    void putStatus(JobStatus status) {
        jobs.compute(status.jobId(), (id, entry) -> entry == null
                ? indexed(new Entry(null, status, new ListKey(status.createdAt(), id)))
                : new Entry(entry.spec(), status, entry.key()));
    }

    /** A tombstone on kaption.jobs: the job is gone. */
    void removeJob(String jobId) {
        jobs.computeIfPresent(jobId, (id, entry) -> unindexed(entry));
    }

    /** A tombstone on kaption.job-status: the job shows as submitted again, or is gone without a spec. */
    void removeStatus(String jobId) {
        jobs.computeIfPresent(jobId, (id, entry) -> entry.spec() == null
                ? unindexed(entry) : new Entry(entry.spec(), null, entry.key()));
    }

    /** The job as the API shows it: its latest status, else its spec as submitted. */
    Optional<JobStatus> status(String jobId) {
        return Optional.ofNullable(jobs.get(jobId)).map(Entry::view);
    }

    /** Every job as the API shows it, in no order. */
    List<JobStatus> all() {
        return jobs.values().stream().map(Entry::view).toList();
    }

    /** The job's spec, once read (or submitted by this replica). */
    Optional<JobSpec> spec(String jobId) {
        return Optional.ofNullable(jobs.get(jobId)).map(Entry::spec);
    }

    /**
     * Up to {@code limit} jobs, newest first, starting after job {@code afterId} (from the newest when null); empty
     * when {@code afterId} names no job. With an {@code owner}, only the jobs whose spec names that owner count.
     */
    Optional<Page> page(int limit, String afterId, Optional<String> owner) {
        Iterable<ListKey> keys = newestFirst;
        if (afterId != null) {
            Entry after = jobs.get(afterId);
            if (after == null || !ownedBy(after, owner)) {
                return Optional.empty();
            }
            keys = newestFirst.tailSet(after.key(), false);
        }
        List<JobStatus> page = new ArrayList<>();
        boolean hasMore = false;
        for (ListKey key : keys) {
            Entry entry = jobs.get(key.jobId());
            if (entry == null || !ownedBy(entry, owner)) {
                continue; // removed meanwhile, or someone else's
            }
            if (page.size() == limit) {
                hasMore = true;
                break;
            }
            page.add(entry.view());
        }
        return Optional.of(new Page(List.copyOf(page), hasMore));
    }

    private static boolean ownedBy(Entry entry, Optional<String> owner) {
        return owner.isEmpty() || entry.spec() != null && owner.get().equals(entry.spec().owner());
    }

    int size() {
        return jobs.size();
    }

    private Entry indexed(Entry entry) {
        newestFirst.add(entry.key());
        return entry;
    }

    private Entry unindexed(Entry entry) {
        newestFirst.remove(entry.key());
        return null;
    }
}
