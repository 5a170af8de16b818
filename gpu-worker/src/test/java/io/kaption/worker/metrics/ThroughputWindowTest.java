package io.kaption.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ThroughputWindowTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void ratePerSecondOverTheWindowThenNothingOnceItPassed() {
        ThroughputWindow window = new ThroughputWindow(Duration.ofSeconds(10));
        assertThat(window.perSecond(0)).isZero();
        window.add(40, 1 * SECOND);
        window.add(60, 5 * SECOND);
        assertThat(window.perSecond(6 * SECOND)).isEqualTo(10.0);
        // The first 40 fall out of the window ending at 11.5 s.
        assertThat(window.perSecond(11 * SECOND + SECOND / 2)).isEqualTo(6.0);
        assertThat(window.perSecond(16 * SECOND)).isZero();
    }
}
