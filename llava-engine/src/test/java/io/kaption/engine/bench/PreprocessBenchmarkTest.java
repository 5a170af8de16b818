package io.kaption.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PreprocessBenchmarkTest {

    @Test
    void endsWithTheSummaryLineAndLeavesNoScratchCheckpoint() throws IOException {
        List<Path> scratchBefore = scratchCheckpoints();
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
        assertThat(scratchCheckpoints()).isSubsetOf(scratchBefore);
    }

    @Test
    void aSizeThatIsNotWidthByHeightIsAClearError() {
        for (String size : List.of("640", "640x", "x480", "0x480", "640x480x3", "big")) {
            assertThatThrownBy(() -> BenchJpegs.noisyGradients(size, 1)).as(size)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WIDTHxHEIGHT");
        }
    }

    private static List<Path> scratchCheckpoints() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(path -> path.getFileName().toString().startsWith("kaption-bench-model")).toList();
        }
    }
}
