package io.kaption.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JobThroughputBenchmarkTest {

    @Test
    void theWorkersEngineActivityIsTheDifferenceBetweenTwoScrapes() {
        JobThroughputBenchmark.EngineActivity before = new JobThroughputBenchmark.EngineActivity(10, 80, 3, 0.25, 1, 0.5);
        JobThroughputBenchmark.EngineActivity after = new JobThroughputBenchmark.EngineActivity(110, 780, 5, 0.5, 5, 2.5);
        JobThroughputBenchmark.EngineActivity during = after.minus(before);
        assertThat(during.rowsPerStep()).isEqualTo(7.0);
        assertThat(during.idleStarts()).isEqualTo(2);
        assertThat(during.lingerSeconds()).isEqualTo(0.25);
        assertThat(JobThroughputBenchmark.threadShares(during.threadCpuSeconds(), during.threadWaitSeconds(), 10))
                .isEqualTo("its thread on a CPU 40% of the time, waiting for one 20%");
        // no step in between (a job the worker never saw): no division by zero
        assertThat(before.minus(before).rowsPerStep()).isEqualTo(0.0);
        // a worker that cannot read its thread's accounting
        assertThat(JobThroughputBenchmark.threadShares(Double.NaN, Double.NaN, 10))
                .isEqualTo("its thread's CPU time unknown here");
    }

    @Test
    void absentMetricsAreTheFallbackOrAnError() {
        String metrics = "kaption_batch_rows_count 4.0\nkaption_batch_rows_sum{} 30.0\n";
        assertThat(BenchMachine.metric(metrics, "kaption_batch_rows_sum")).isEqualTo(30.0);
        assertThat(BenchMachine.metric(metrics, "kaption_engine_thread_cpu_seconds_total", Double.NaN)).isNaN();
        assertThatThrownBy(() -> BenchMachine.metric(metrics, "kaption_engine_thread_cpu_seconds_total"))
                .isInstanceOf(IllegalStateException.class);
    }
}
