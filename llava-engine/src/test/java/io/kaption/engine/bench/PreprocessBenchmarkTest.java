package io.kaption.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PreprocessBenchmarkTest {

    @Test
    void endsWithTheSummaryLine() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new PreprocessBenchmark())
                    .execute("--size", "96x64", "--crop", "42", "--seconds", "0.2", "--repeats", "1");
        } finally {
            System.setOut(stdout);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(output).isZero();
        assertThat(output).contains("CLIP 42 px", "96x64", "r0: ")
                .containsPattern("(?m)^kaption-bench preprocess: size=96x64 images_per_s=\\d+\\.\\d$");
    }
}
