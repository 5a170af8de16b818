package io.kaption.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CpuTimesTest {

    @Test
    void anotherProcessIsReadAsTheJvmCountsItself() {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "Linux only");
        burn(200);
        long jvm = CpuTimes.thisProcess();
        OptionalLong proc = CpuTimes.process(ProcessHandle.current().pid());
        assertThat(proc).isPresent();
        // Clock ticks (10 ms) against the JVM's own nanoseconds, read a moment apart.
        assertThat(Math.abs(proc.getAsLong() - jvm)).isLessThan(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(proc.getAsLong()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void aChildCountsOnceItHasEndedAndBeenWaitedFor() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "Linux only");
        long before = CpuTimes.endedChildren().orElseThrow();
        Process child = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done").start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(CpuTimes.endedChildren().orElseThrow() - before).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    }

    @Test
    void perItemIsMicrosecondsEachOrUnknown() {
        assertThat(CpuTimes.perItem(OptionalLong.of(3_000_000), 200)).isEqualTo("15 µs");
        assertThat(CpuTimes.perItem(OptionalLong.empty(), 200)).isEqualTo("unknown");
        assertThat(CpuTimes.perItem(OptionalLong.of(3_000_000), 0)).isEqualTo("unknown");
    }

    private static void burn(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long x = 0;
        while (System.nanoTime() < end) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        assertThat(x).isNotNegative();
    }
}
