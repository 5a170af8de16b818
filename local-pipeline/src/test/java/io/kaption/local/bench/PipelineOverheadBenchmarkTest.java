package io.kaption.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineOverheadBenchmarkTest {

    @Test
    void percentilesAreNearestRank() {
        double[] values = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
        assertThat(PipelineOverheadBenchmark.percentile(values, 50)).isEqualTo(5);
        assertThat(PipelineOverheadBenchmark.percentile(values, 99)).isEqualTo(10);
        assertThat(PipelineOverheadBenchmark.percentile(new double[] {42}, 99)).isEqualTo(42);
        assertThatThrownBy(() -> PipelineOverheadBenchmark.percentile(new double[0], 50))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theReportSubtractsTheWorkersTimeFromTheClients() {
        PipelineOverheadBenchmark benchmark = new PipelineOverheadBenchmark();
        benchmark.rate = 2;
        benchmark.seconds = 1;
        benchmark.maxNewTokens = 16;
        StringWriter out = new StringWriter();
        benchmark.print(List.of(new PipelineOverheadBenchmark.Sample(120, 100, 7),
                new PipelineOverheadBenchmark.Sample(200, 150, 9)), new PrintWriter(out, true));

        assertThat(out.toString()).contains(
                "2 requests at 2.0/s over 1 s, 16 new tokens each",
                "| end to end (client) | 120.0 | 200.0 |",
                "| inference_ms (worker) | 100.0 | 150.0 |",
                "| queued_ms (worker) | 7.0 | 9.0 |",
                "| overhead = end to end - inference | 20.0 | 50.0 |");
    }
}
