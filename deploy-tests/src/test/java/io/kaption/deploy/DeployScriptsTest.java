package io.kaption.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A quick sanity check of the scripts under deploy/ that only run outside {@code mvn verify} (the compose test runs
 * after it in CI, the fault harness only by hand): every shell script parses ({@code bash -n}), the harness's Python
 * driver parses and its option list answers. The scripts themselves need Docker; these checks do not.
 */
class DeployScriptsTest {

    private static final Path DEPLOY = Path.of(System.getProperty("kaption.deploy.dir", "../deploy")).toAbsolutePath()
            .normalize();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void everyShellScriptParses() throws IOException {
        List<Path> scripts;
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            scripts = files.filter(p -> p.toString().endsWith(".sh") && !p.toString().contains("/target/")).sorted()
                    .toList();
        }
        assertThat(scripts).extracting(p -> DEPLOY.relativize(p).toString())
                .contains("compose-test.sh", "chaos/chaos.sh", "lib/compose.sh");
        for (Path script : scripts) {
            Tools.runChecked(List.of("bash", "-n", script.toString()), DEPLOY, TIMEOUT);
        }
    }

    /** Skipped without python3: the harness needs it, {@code mvn verify} does not (the compose test installs it). */
    @Test
    void theFaultHarnessDriverParsesAndListsItsModes() {
        assumeTrue(Tools.run(List.of("bash", "-c", "command -v python3"), DEPLOY, TIMEOUT).exitCode() == 0,
                "python3 is not installed");
        String help = Tools.runChecked(List.of("python3", "chaos/chaos.py", "--help"), DEPLOY, TIMEOUT);

        assertThat(help).contains("{faults,scale}", "--kills", "--images", "--max-workers");
    }
}
