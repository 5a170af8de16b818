package io.kaption.ingest.jobs;

import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * Bucket jobs as the job directory knows them (every replica reads them all): {@code kaption_jobs{state}}, jobs
 * per state, and {@code kaption_job_records_done{outcome}}, the records with a result ({@code completed}) or an
 * error line ({@code failed}) summed over the jobs.
 */
public final class JobMetrics {

    private JobMetrics() {
    }

    public static void register(MeterRegistry registry, JobDirectory jobs) {
        for (JobState state : JobState.values()) {
            Gauge.builder("kaption.jobs", () -> jobs.all().stream().filter(job -> job.state() == state).count())
                    .description("bucket jobs by state")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        records(registry, jobs, "completed", job -> job.counts().completed());
        records(registry, jobs, "failed", job -> job.counts().failed());
    }

    private static void records(MeterRegistry registry, JobDirectory jobs, String outcome,
                                ToLongFunction<JobStatus> count) {
        Gauge.builder("kaption.job.records.done", () -> jobs.all().stream().mapToLong(count).sum())
                .description("records of the known bucket jobs that have their line, by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }
}
