package io.kaption.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThreadSchedStatTest {

    @Test
    void parsesTheKernelsLine() {
        assertThat(ThreadSchedStat.parse("2412763508 183441071 5190\n"))
                .isEqualTo(new ThreadSchedStat(2_412_763_508L, 183_441_071L));
        assertThat(new ThreadSchedStat(50, 20).minus(new ThreadSchedStat(30, 5))).isEqualTo(new ThreadSchedStat(20, 15));
        assertThatThrownBy(() -> ThreadSchedStat.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCurrentThreadsFileCountsItsCpuTime() throws Exception {
        Optional<Path> file = ThreadSchedStat.fileOfCurrentThread();
        assumeTrue(file.isPresent(), "no /proc/thread-self/schedstat here");
        assertThat(file.get().toString()).matches("/proc/\\d+/task/\\d+/schedstat");
        ThreadSchedStat before = ThreadSchedStat.read(file.get());
        long spinUntil = System.nanoTime() + 50_000_000;
        long spins = 0;
        while (System.nanoTime() < spinUntil) {
            spins++;
        }
        ThreadSchedStat spent = ThreadSchedStat.read(file.get()).minus(before);
        assertThat(spins).isPositive();
        // 50 ms of spinning, of which at least some on a CPU however busy the machine
        assertThat(spent.cpuNanos()).isGreaterThan(5_000_000);
        assertThat(spent.waitNanos()).isNotNegative();
    }

    @Test
    void theWorkerExposesTheEngineThreadsTotalsAndKeepsThemOnceItEnds(@TempDir Path dir) throws Exception {
        Path schedstat = dir.resolve("schedstat");
        Files.writeString(schedstat, "2000000000 500000000 9\n");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WorkerMetrics metrics = new WorkerMetrics(registry, 8);
        metrics.engineThread(schedstat);

        assertThat(registry.get("kaption.engine.thread.cpu").functionCounter().count()).isEqualTo(2.0);
        assertThat(registry.get("kaption.engine.thread.cpu.wait").functionCounter().count()).isEqualTo(0.5);
        Files.writeString(schedstat, "3000000000 750000000 12\n");
        assertThat(registry.get("kaption.engine.thread.cpu").functionCounter().count()).isEqualTo(3.0);
        Files.delete(schedstat);
        assertThat(registry.get("kaption.engine.thread.cpu.wait").functionCounter().count()).isEqualTo(0.75);
        // the registry holds the metrics object weakly; the worker keeps it, and so does this test
        Reference.reachabilityFence(metrics);
    }
}
