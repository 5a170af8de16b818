package io.kaption.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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
    void aNegativeWarmUpIsAUsageErrorBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new PipelineOverheadBenchmark()).setErr(new PrintWriter(err, true));

        assertThat(command.execute("--warmup-requests", "-1")).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--warmup-requests must be 0 or more");
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

    @Test
    void theLingerIsReadFromTheWorkersMetricsAndReportedApart() {
        String metrics = """
                # HELP kaption_batch_linger_seconds how long an idle worker waited
                # TYPE kaption_batch_linger_seconds summary
                kaption_batch_linger_seconds_count 4
                kaption_batch_linger_seconds_sum 0.03
                kaption_batch_linger_seconds_max 0.01
                """;
        assertThat(BenchMachine.metric(metrics, "kaption_batch_linger_seconds_count")).isEqualTo(4);
        assertThat(BenchMachine.metric(metrics, "kaption_batch_linger_seconds_sum")).isEqualTo(0.03);
        assertThatThrownBy(() -> BenchMachine.metric(metrics, "kaption_batch_rows_count"))
                .isInstanceOf(IllegalStateException.class);

        StringWriter out = new StringWriter();
        PipelineOverheadBenchmark.printLinger(List.of(new PipelineOverheadBenchmark.Sample(120, 100, 7),
                new PipelineOverheadBenchmark.Sample(200, 150, 9)), new PipelineOverheadBenchmark.Linger(1, 0.03),
                new PrintWriter(out, true));
        // overhead 20 + 50 ms, linger 30 ms: 30 % of the 100 ms the pipeline added
        assertThat(out.toString()).contains("1 of 2 requests started an idle batch; 30.0 ms waited in all, 15.00 ms "
                + "per request on average; 30.0 % of the latency the pipeline added");
    }
}
