package io.kaption.sink.jobs.progress;

import io.kaption.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The topics the progress topology reads and writes. {@link #DEFAULT} are the contract's; tests on the shared broker
 * pass names of their own so that no other test's records reach their topology.
 *
 * @param jobs          {@link io.kaption.schemas.jobs.JobSpec}s, key job_id
 * @param jobPlans      {@link io.kaption.schemas.jobs.JobPlan}s, key job_id
 * @param results       {@link io.kaption.schemas.GenerationResult}s, key request_id; only those with a job_id count
 * @param cancellations {@link io.kaption.schemas.Cancellation}s; only those with a job_id count
 * @param jobOutputs    {@link io.kaption.schemas.jobs.JobOutputs}, key job_id
 * @param jobRecords    output: {@link io.kaption.schemas.jobs.JobRecord}s, key job_id
 * @param jobStatus     output: {@link io.kaption.schemas.jobs.JobStatus}es, key job_id
 */
public record ProgressTopics(String jobs, String jobPlans, String results, String cancellations, String jobOutputs,
                             String jobRecords, String jobStatus) {

    public static final ProgressTopics DEFAULT = new ProgressTopics(Topics.JOBS, Topics.JOB_PLANS, Topics.RESULTS,
            Topics.CANCELLATIONS, Topics.JOB_OUTPUTS, Topics.JOB_RECORDS, Topics.JOB_STATUS);

    public ProgressTopics {
        Objects.requireNonNull(jobs, "jobs");
        Objects.requireNonNull(jobPlans, "jobPlans");
        Objects.requireNonNull(results, "results");
        Objects.requireNonNull(cancellations, "cancellations");
        Objects.requireNonNull(jobOutputs, "jobOutputs");
        Objects.requireNonNull(jobRecords, "jobRecords");
        Objects.requireNonNull(jobStatus, "jobStatus");
    }

    /** Every name prefixed with {@code prefix}, e.g. {@code it-42.kaption.results}: for tests. */
    public static ProgressTopics prefixed(String prefix) {
        return new ProgressTopics(prefix + Topics.JOBS, prefix + Topics.JOB_PLANS, prefix + Topics.RESULTS,
                prefix + Topics.CANCELLATIONS, prefix + Topics.JOB_OUTPUTS, prefix + Topics.JOB_RECORDS,
                prefix + Topics.JOB_STATUS);
    }

    public List<String> inputs() {
        return List.of(jobs, jobPlans, results, cancellations, jobOutputs);
    }

    /** The topics the topology needs before it starts: inputs, outputs and the inputs' dead-letter topics. */
    public List<String> all() {
        List<String> all = new ArrayList<>(inputs());
        all.add(jobRecords);
        all.add(jobStatus);
        inputs().forEach(topic -> all.add(Topics.dlq(topic)));
        return all;
    }
}
