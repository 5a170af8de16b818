package io.kaption.worker.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Linux's scheduler accounting of one thread ({@code /proc/<pid>/task/<tid>/schedstat}): how long it ran on a CPU, and
 * how long it was ready to run but waited for one. The second is what a CPU-starved engine thread shows (too many busy
 * threads or processes on too few cores, a container's CPU limit); neither the JVM nor the process CPU time tells it.
 *
 * @param cpuNanos  time on a CPU
 * @param waitNanos time runnable, waiting on a run queue
 */
public record ThreadSchedStat(long cpuNanos, long waitNanos) {

    private static final Path PROC = Path.of("/proc");

    /** The calling thread's schedstat file; empty where there is none (not Linux, or no scheduler statistics). */
    public static Optional<Path> fileOfCurrentThread() {
        try {
            // /proc/thread-self links to "<pid>/task/<tid>"; the path stays valid for other threads to read.
            Path file = PROC.resolve(Files.readSymbolicLink(PROC.resolve("thread-self"))).resolve("schedstat");
            read(file);
            return Optional.of(file);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Reads a schedstat file. */
    public static ThreadSchedStat read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /** Parses {@code "<ns on cpu> <ns waiting> <timeslices>"}. */
    static ThreadSchedStat parse(String line) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException("not a schedstat line: " + line);
        }
        return new ThreadSchedStat(Long.parseLong(fields[0]), Long.parseLong(fields[1]));
    }

    /** This minus {@code earlier}: what the thread did in between. */
    public ThreadSchedStat minus(ThreadSchedStat earlier) {
        return new ThreadSchedStat(cpuNanos - earlier.cpuNanos, waitNanos - earlier.waitNanos);
    }
}
