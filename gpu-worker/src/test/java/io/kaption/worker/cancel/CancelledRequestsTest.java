package io.kaption.worker.cancel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CancelledRequestsTest {

    private final AtomicLong now = new AtomicLong();

    @Test
    void remembersReasonsForTheRetention() {
        CancelledRequests cancelled = new CancelledRequests(Duration.ofSeconds(10), 100, now::get);
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
        CancelledRequests cancelled = new CancelledRequests(Duration.ofMinutes(10), 2, now::get);
        cancelled.cancel("a", "");
        cancelled.cancel("b", "");
        cancelled.cancel("a", "again"); // renewed: now the youngest
        cancelled.cancel("c", "");
        assertThat(cancelled.reason("b")).isEmpty();
        assertThat(cancelled.reason("a")).contains("again");
        assertThat(cancelled.reason("c")).contains("");
    }
}
