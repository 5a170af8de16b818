package io.kaption.ingest.jobs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.jobs.JobUsage;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JobTableTest {

    private final JobTable table = new JobTable();

    private static JobSpec spec(String id, long createdSecond) {
        return new JobSpec(id, "s3://in-b/x/", InputFormat.IMAGES, "s3://out-b/", JsonNodeFactory.instance.objectNode()
                .put("text", "x"), "primary", null, Instant.ofEpochSecond(createdSecond));
    }

    private static JobStatus status(JobSpec spec, JobState state, long planned) {
        return new JobStatus(spec.jobId(), state, spec.input(), spec.inputFormat(), spec.output(),
                spec.consumerGroup(), null, spec.createdAt(), spec.createdAt().plusSeconds(5), null,
                new JobCounts(null, planned, 0, 0), JobUsage.NONE, null, null);
    }

    private List<String> ids(int limit, String after) {
        return table.page(limit, after).orElseThrow().jobs().stream().map(JobStatus::jobId).toList();
    }

    @Test
    void aSpecWithoutStatusShowsAsSubmitted() {
        JobSpec spec = spec("job-a", 10);
        table.putSpec(spec);

        assertThat(table.status("job-a")).contains(JobStatus.submitted(spec));
        assertThat(table.spec("job-a")).contains(spec);
        assertThat(table.status("job-b")).isEmpty();
    }

    @Test
    void theLatestStatusWinsWhicheverTopicIsReadFirst() {
        JobSpec a = spec("job-a", 10);
        table.putStatus(status(a, JobState.IN_PROGRESS, 3));
        assertThat(table.status("job-a")).contains(status(a, JobState.IN_PROGRESS, 3));
        assertThat(table.spec("job-a")).isEmpty();

        table.putSpec(a); // the spec, read after its status, does not turn it back into "validating"
        assertThat(table.status("job-a")).contains(status(a, JobState.IN_PROGRESS, 3));
        table.putStatus(status(a, JobState.COMPLETED, 9));
        assertThat(table.status("job-a")).contains(status(a, JobState.COMPLETED, 9));
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void tombstonesRemoveTheJobOrItsStatus() {
        JobSpec a = spec("job-a", 10);
        table.putSpec(a);
        table.putStatus(status(a, JobState.IN_PROGRESS, 1));
        table.removeStatus("job-a");
        assertThat(table.status("job-a")).contains(JobStatus.submitted(a));
        table.removeJob("job-a");
        assertThat(table.status("job-a")).isEmpty();
        assertThat(ids(10, null)).isEmpty();
    }

    @Test
    void pagesAreNewestFirstAndContinueAfterTheLastId() {
        table.putSpec(spec("job-old", 10));
        table.putSpec(spec("job-new", 30));
        table.putSpec(spec("job-mid-b", 20));
        table.putSpec(spec("job-mid-a", 20));

        assertThat(ids(2, null)).containsExactly("job-new", "job-mid-b");
        assertThat(table.page(2, null).orElseThrow().hasMore()).isTrue();
        assertThat(ids(2, "job-mid-b")).containsExactly("job-mid-a", "job-old");
        assertThat(table.page(2, "job-mid-b").orElseThrow().hasMore()).isFalse();
        assertThat(ids(10, "job-old")).isEmpty();
        assertThat(table.page(4, null).orElseThrow().hasMore()).isFalse();
        assertThat(table.page(10, "job-unknown")).isEmpty();
    }

    @Test
    void updatesKeepAJobsPlaceInTheListing() {
        JobSpec a = spec("job-a", 10);
        table.putSpec(a);
        table.putSpec(spec("job-b", 20));
        table.putStatus(status(a, JobState.IN_PROGRESS, 1));
        table.putStatus(status(a, JobState.IN_PROGRESS, 2));

        assertThat(ids(10, null)).containsExactly("job-b", "job-a");
    }
}
