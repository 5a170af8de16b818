package io.kaption.deploy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external tools the deploy tests need (kubectl, node, npm). A missing tool fails the test with what to
 * install: these checks must never pass by being skipped.
 */
final class Tools {

    record Result(int exitCode, String stdout, String stderr) {}

    private Tools() {}

    static Result run(List<String> command, Path directory, Duration timeout) {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run '" + command.get(0) + "' (" + e.getMessage() + "). The deploy tests"
                    + " need kubectl (renders k8s/ with 'kubectl kustomize', offline) and Node.js 18+ with npm"
                    + " (validates the manifests with the npm package kubernetes-models) on the PATH.", e);
        }
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            return new Result(process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        }
    }

    /** Runs {@code command} and returns its standard output; any exit status but 0 fails with its output. */
    static String runChecked(List<String> command, Path directory, Duration timeout) {
        Result result = run(command, directory, timeout);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + result.exitCode() + "\nstderr:\n"
                    + result.stderr() + "\nstdout:\n" + result.stdout());
        }
        return result.stdout();
    }

    private static String read(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
