package io.kaption.local.jobs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Kaption service's main class in a child JVM on this test's classpath, so that a test can kill it the way an
 * operating system does (SIGKILL: no shutdown hook, no last commit) and start another in its place.
 */
public final class ChildService implements AutoCloseable {

    private final Process process;

    private ChildService(Process process) {
        this.process = process;
    }

    /** Starts {@code mainClass} with {@code env} added to this JVM's environment; output goes to {@code log}. */
    public static ChildService start(Class<?> mainClass, Map<String, String> env, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                mainClass.getName()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        return new ChildService(builder.start());
    }

    /** SIGKILL, and wait until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: the service's own shutdown
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
