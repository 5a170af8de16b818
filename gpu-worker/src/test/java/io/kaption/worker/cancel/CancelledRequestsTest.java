package io.kaption.worker.cancel;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Texts;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CancelledRequestsTest {

    private final AtomicLong now = new AtomicLong();
    private final AtomicLong wallMillis = new AtomicLong(1_700_000_000_000L);

    private CancelledRequests cancelled(Duration retention, int capacity) {
        return new CancelledRequests(retention, capacity, now::get, Duration.ofDays(7), 100, wallMillis::get);
    }

    private CancelledRequests jobsOnly(Duration jobRetention, int jobCapacity) {
        return new CancelledRequests(Duration.ofMinutes(10), 100, now::get, jobRetention, jobCapacity,
                wallMillis::get);
    }

    private static GenerationRequest request(String id, String jobId) {
        return GenerationRequest.builder(id, Texts.of("Hi"), null).jobId(jobId).build();
    }

    @Test
    void remembersReasonsForTheRetention() {
        CancelledRequests cancelled = cancelled(Duration.ofSeconds(10), 100);
        cancelled.cancel("req-1", "client_disconnected");
        cancelled.cancel("req-2", null);
        assertThat(cancelled.reason("req-1")).contains("client_disconnected");
        assertThat(cancelled.reason("req-2")).contains("");
        assertThat(cancelled.reason("req-3")).isEmpty();

        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertThat(cancelled.reason("req-1")).isEmpty();
        cancelled.cancel("req-4", "x");
        assertThat(cancelled.size()).as("expired entries are dropped on insert").isEqualTo(1);
    }

    @Test
    void forgetsTheOldestBeyondCapacity() {
        CancelledRequests cancelled = cancelled(Duration.ofMinutes(10), 2);
        cancelled.cancel("a", "");
        cancelled.cancel("b", "");
        cancelled.cancel("a", "again"); // renewed: now the youngest
        cancelled.cancel("c", "");
        assertThat(cancelled.reason("b")).isEmpty();
        assertThat(cancelled.reason("a")).contains("again");
        assertThat(cancelled.reason("c")).contains("");
    }

    @Test
    void aJobCancellationFailsEveryRequestOfTheJobAndNoOther() {
        CancelledRequests cancelled = cancelled(Duration.ofMinutes(10), 100);
        cancelled.cancelJob("job-a", "user_requested", wallMillis.get());
        cancelled.cancel("req-own", null);

        assertThat(cancelled.failure(request("job-a-0", "job-a")))
                .contains(new Failure("cancelled", "job job-a cancelled (user_requested)"));
        assertThat(cancelled.jobFailure(request("job-a-1", "job-a")))
                .contains(new Failure("cancelled", "job job-a cancelled (user_requested)"));
        assertThat(cancelled.failure(request("job-b-0", "job-b"))).isEmpty();
        assertThat(cancelled.failure(request("interactive", null))).isEmpty();
        assertThat(cancelled.failure(request("req-own", null)))
                .contains(new Failure("cancelled", "request cancelled"));
        assertThat(cancelled.jobFailure(request("req-own", null))).as("only a job's cancellation").isEmpty();
        assertThat(cancelled.reason("job-a")).as("job ids are not request ids").isEmpty();
    }

    @Test
    void aJobCancellationExpiresByItsPublicationTimeNotWhenItWasRead() {
        CancelledRequests cancelled = jobsOnly(Duration.ofDays(7), 100);
        // Replayed at start: published six days ago, honoured one more day.
        cancelled.cancelJob("job-old", null, wallMillis.get() - Duration.ofDays(6).toMillis());
        cancelled.cancelJob("job-older", null, wallMillis.get() - Duration.ofDays(8).toMillis());
        assertThat(cancelled.jobReason("job-old")).contains("");
        assertThat(cancelled.jobReason("job-older")).isEmpty();
        assertThat(cancelled.jobCount()).as("an expired one is not kept").isEqualTo(1);

        wallMillis.addAndGet(Duration.ofDays(1).plusSeconds(1).toMillis());
        assertThat(cancelled.jobReason("job-old")).isEmpty();
        cancelled.cancelJob("job-new", "x", wallMillis.get());
        assertThat(cancelled.jobCount()).isEqualTo(1);
    }

    @Test
    void jobCancellationsAreBoundedInNumber() {
        CancelledRequests cancelled = jobsOnly(Duration.ofDays(7), 2);
        cancelled.cancelJob("j1", null, wallMillis.get());
        cancelled.cancelJob("j2", null, wallMillis.get());
        cancelled.cancelJob("j3", null, wallMillis.get());
        assertThat(cancelled.jobCount()).isEqualTo(2);
        assertThat(cancelled.jobReason("j1")).isEmpty();
        assertThat(cancelled.jobReason("j3")).contains("");
    }
}
