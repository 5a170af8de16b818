package io.kaption.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * CPU time consumed so far, in nanoseconds, by this JVM, another process, or this JVM's finished children: what a
 * benchmark divides by the requests it served, a figure that does not depend on how much of the machine the run got.
 * Other processes and children are read from Linux's {@code /proc} (empty elsewhere), in its clock ticks (10 ms).
 */
final class CpuTimes {

    // USER_HZ: 100 on every Linux architecture the JDK runs on.
    private static final long NANOS_PER_TICK = 10_000_000L;

    private CpuTimes() {}

    /** This JVM, all its threads (the JIT and the GC included). */
    static long thisProcess() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Process {@code pid}: user and system time. */
    static OptionalLong process(long pid) {
        return statFields(Path.of("/proc", Long.toString(pid), "stat"), 14, 15); // utime, stime
    }

    /** This JVM's children that ended and were waited for (e.g. a {@link Process} after {@code waitFor}). */
    static OptionalLong endedChildren() {
        return statFields(Path.of("/proc/self/stat"), 16, 17); // cutime, cstime
    }

    /** Fields {@code a} and {@code b} of a stat file (numbered from 1, as proc(5) does), summed. */
    private static OptionalLong statFields(Path stat, int a, int b) {
        try {
            String line = Files.readString(stat);
            // The command name (field 2) is in parentheses and may hold spaces: split after its ')', at field 3.
            String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return OptionalLong.of((Long.parseLong(fields[a - 3]) + Long.parseLong(fields[b - 3])) * NANOS_PER_TICK);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** {@code nanos} over {@code count} as microseconds each, or "unknown". */
    static String perItem(OptionalLong nanos, long count) {
        return nanos.isPresent() && count > 0
                ? String.format(java.util.Locale.ROOT, "%.0f µs", nanos.getAsLong() / 1e3 / count) : "unknown";
    }
}
