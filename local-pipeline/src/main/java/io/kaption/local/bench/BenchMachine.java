package io.kaption.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What every benchmark prints about the machine it ran on: the load average at its start and end. The figures of a
 * shared machine mean something only next to how busy it was. The JIT's time, for those that run a fresh JVM's code.
 * And the wait for the ingest they measure through.
 */
final class BenchMachine {

    private BenchMachine() {}

    /** Prints {@code load average (1/5/15 min) at <when>: …, N cores}. */
    static void printLoad(String when) {
        System.out.printf(Locale.ROOT, "load average (1/5/15 min) at %s: %s, %d cores%n", when, loadAverage(),
                Runtime.getRuntime().availableProcessors());
    }

    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return String.join(" ", Arrays.copyOf(fields, 3));
        } catch (IOException | RuntimeException e) {
            // Not Linux: the JVM knows the 1-minute figure only.
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    /** Milliseconds this JVM's JIT compilers have spent so far (0 where the JVM does not say). */
    static long jitMillis() {
        var compilation = ManagementFactory.getCompilationMXBean();
        return compilation != null && compilation.isCompilationTimeMonitoringSupported()
                ? compilation.getTotalCompilationTime() : 0;
    }

    /** The median of {@code values} (not empty). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** A service's Prometheus {@code /metrics} text. */
    static String scrape(HttpClient http, URI metrics) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of the first sample named {@code name} (with or without labels) in Prometheus text. */
    static double metric(String metrics, String name) {
        double value = metric(metrics, name, Double.NaN);
        if (Double.isNaN(value)) {
            throw new IllegalStateException("no " + name + " in the /metrics scraped");
        }
        return value;
    }

    /** As {@link #metric(String, String)}, {@code absent} where there is no such sample. */
    static double metric(String metrics, String name, double absent) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return absent;
    }

    /** Waits (at most a minute) for the ingest's {@code /readyz} to answer 200. */
    static void awaitIngestReady(HttpClient http, URI readyz) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 600; attempt++) {
            if (http.send(HttpRequest.newBuilder(readyz).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the ingest service did not get ready within a minute: " + readyz);
    }
}
