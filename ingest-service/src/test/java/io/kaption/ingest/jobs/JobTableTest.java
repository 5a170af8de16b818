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
import java.util.Optional;

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
        return table.page(limit, after, Optional.empty()).orElseThrow().jobs().stream().map(JobStatus::jobId).toList();
    }

    @Test
    void anOwnersPageHoldsOnlyItsJobs() {
        JobSpec mine1 = withOwner(spec("job-m1", 10), "key-0000000000000001");
        JobSpec theirs = withOwner(spec("job-t", 20), "key-0000000000000002");
        JobSpec mine2 = withOwner(spec("job-m2", 30), "key-0000000000000001");
        JobSpec nobodys = spec("job-n", 40);
        List.of(mine1, theirs, mine2, nobodys).forEach(table::putSpec);
        Optional<String> me = Optional.of("key-0000000000000001");

        assertThat(table.page(10, null, me).orElseThrow().jobs()).extracting(JobStatus::jobId)
                .containsExactly("job-m2", "job-m1");
        assertThat(table.page(1, null, me).orElseThrow().hasMore()).isTrue();
        assertThat(table.page(10, "job-m2", me).orElseThrow().jobs()).extracting(JobStatus::jobId)
                .containsExactly("job-m1");
        assertThat(table.page(10, "job-t", me)).isEmpty(); // someone else's job is no cursor
        assertThat(table.page(10, null, Optional.empty()).orElseThrow().jobs()).hasSize(4);
    }

    private static JobSpec withOwner(JobSpec spec, String owner) {
        return new JobSpec(spec.jobId(), spec.input(), spec.inputFormat(), spec.output(), spec.template(),
                spec.consumerGroup(), spec.clientToken(), spec.createdAt(), owner);
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
        assertThat(table.page(2, null, Optional.empty()).orElseThrow().hasMore()).isTrue();
        assertThat(ids(2, "job-mid-b")).containsExactly("job-mid-a", "job-old");
        assertThat(table.page(2, "job-mid-b", Optional.empty()).orElseThrow().hasMore()).isFalse();
        assertThat(ids(10, "job-old")).isEmpty();
        assertThat(table.page(4, null, Optional.empty()).orElseThrow().hasMore()).isFalse();
        assertThat(table.page(10, "job-unknown", Optional.empty())).isEmpty();
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
