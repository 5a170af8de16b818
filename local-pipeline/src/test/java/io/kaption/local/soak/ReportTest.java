package io.kaption.local.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

    @Test
    void slopeIsTheLeastSquaresGrowthPerTenMinutes() {
        double[] minutes = {0, 1, 2, 3, 4};
        assertThat(Report.slopePer10(minutes, new double[] {40, 40.5, 41, 41.5, 42})).isCloseTo(5.0, within(1e-9));
        assertThat(Report.slopePer10(minutes, new double[] {40, 42, 40, 42, 40})).isCloseTo(0.0, within(1e-9));
        assertThat(Report.slopePer10(new double[] {3, 3}, new double[] {1, 2})).isNaN();
    }

    @Test
    void failsOnGrowthPastAThresholdAfterTheWarmUpOnly() {
        List<SoakCommand.Sample> samples = new ArrayList<>();
        for (int minute = 0; minute <= 30; minute++) {
            // Heap fills during the warm-up (history windows), then stays; threads leak one per minute.
            double heap = minute < 12 ? 40 + 2 * minute : 64;
            samples.add(new SoakCommand.Sample(minute, "local", heap, 100 + minute, 600, 500));
        }
        Report report = new Report(samples, 12, 10, 2, 10);
        String text = report.render(Map.of(), 10, 0, Duration.ofSeconds(7), 30, Path.of("out"));

        assertThat(report.passed()).isFalse();
        assertThat(text).containsPattern("local +heap after GC \\(MB\\) .* \\+0\\.00 +10\\.0  flat")
                .containsPattern("local +threads .* \\+10\\.00 +2\\.0  GROWS")
                .contains("stop: bin/kaption local exited 7.0 s after SIGTERM");
    }
}
