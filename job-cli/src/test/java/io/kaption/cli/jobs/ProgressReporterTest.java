package io.kaption.cli.jobs;

import static io.kaption.cli.jobs.JobDisplayTest.job;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What waiting writes to stderr, on a terminal and elsewhere. */
class ProgressReporterTest {

    private static final Instant T0 = Instant.parse("2024-06-01T10:00:00Z");
    private static final String COUNTS_10 = "{\"total\":100,\"planned\":100,\"completed\":10,\"failed\":0}";
    private static final String COUNTS_20 = "{\"total\":100,\"planned\":100,\"completed\":19,\"failed\":1}";
    private static final String COUNTS_30 = "{\"total\":100,\"planned\":100,\"completed\":30,\"failed\":0}";

    @Test
    void onATerminalOneLineIsRedrawnOnEveryChange() {
        ProgressReporter progress = new ProgressReporter(true, Duration.ofSeconds(5));

        assertThat(progress.update(job("in_progress", COUNTS_10), T0))
                .hasValue("\r[##..................] 10/100 done, 0 failed · in_progress\u001b[K");
        assertThat(progress.update(job("in_progress", COUNTS_10), T0.plusSeconds(1))).isEmpty();
        assertThat(progress.update(job("in_progress", COUNTS_20), T0.plusSeconds(2)))
                .hasValue("\r[####................] 20/100 done, 1 failed · in_progress\u001b[K");
        assertThat(progress.finish()).isEqualTo("\n");
        assertThat(progress.finish()).isEmpty();
    }

    @Test
    void elsewhereStateChangesArePrintedAtOnceAndCountChangesAtMostOncePerInterval() {
        ProgressReporter progress = new ProgressReporter(false, Duration.ofSeconds(5));

        assertThat(progress.update(job("in_progress", COUNTS_10), T0))
                .hasValue("[##..................] 10/100 done, 0 failed · in_progress\n");
        assertThat(progress.update(job("in_progress", COUNTS_20), T0.plusSeconds(1))).isEmpty();
        assertThat(progress.update(job("in_progress", COUNTS_20), T0.plusSeconds(5)))
                .hasValue("[####................] 20/100 done, 1 failed · in_progress\n");
        assertThat(progress.update(job("cancelling", COUNTS_30), T0.plusSeconds(6)))
                .hasValue("[######..............] 30/100 done, 0 failed · cancelling\n");
        assertThat(progress.update(job("cancelling", COUNTS_30), T0.plusSeconds(20))).isEmpty();
        assertThat(progress.finish()).isEmpty();
    }

    @Test
    void afterFinishTheNextUpdateIsWrittenAgain() {
        ProgressReporter progress = new ProgressReporter(false, Duration.ofSeconds(5));
        progress.update(job("in_progress", COUNTS_10), T0);

        progress.finish();

        assertThat(progress.update(job("in_progress", COUNTS_10), T0.plusSeconds(1)))
                .hasValue("[##..................] 10/100 done, 0 failed · in_progress\n");
    }
}
