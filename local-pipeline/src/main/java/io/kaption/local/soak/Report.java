package io.kaption.local.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/** The soak's verdict: per JVM and series, the trend after the warm-up against its threshold. */
final class Report {

    private final List<SoakCommand.Sample> samples;
    private final double warmupMinutes;
    private final Map<String, Double> thresholds;
    private boolean passed = true;

    Report(List<SoakCommand.Sample> samples, double warmupMinutes, double maxHeapGrowthMb, double maxThreadGrowth,
           double maxFdGrowth) {
        this.samples = samples;
        this.warmupMinutes = warmupMinutes;
        this.thresholds = Map.of("heap after GC (MB)", maxHeapGrowthMb, "threads", maxThreadGrowth,
                "open fds", maxFdGrowth);
    }

    /**
     * Least-squares slope of {@code y} over {@code x}, times 10: growth per 10 minutes when {@code x} is in minutes.
     * NaN with fewer than two distinct x.
     */
    static double slopePer10(double[] x, double[] y) {
        int n = x.length;
        double meanX = 0;
        double meanY = 0;
        for (int i = 0; i < n; i++) {
            meanX += x[i] / n;
            meanY += y[i] / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - meanX) * (y[i] - meanY);
            sxx += (x[i] - meanX) * (x[i] - meanX);
        }
        return sxx == 0 ? Double.NaN : 10 * sxy / sxx;
    }

    boolean passed() {
        return passed;
    }

    String render(Map<String, SoakCommand.Outcomes> outcomes, long directAnswered, int directUnanswered,
                  Duration stop, double minutes, Path out) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%nkaption soak: %s min of mixed load; trend = least-squares slope per "
                + "10 min of the samples after minute %s%n", SoakCommand.fmt(minutes), SoakCommand.fmt(warmupMinutes)));
        text.append(String.format(Locale.ROOT, "%-8s %-20s %9s %9s %9s %9s %12s %10s  %s%n", "jvm", "series", "first",
                "last", "min", "max", "trend/10min", "threshold", "verdict"));
        for (String jvm : new TreeSet<>(samples.stream().map(SoakCommand.Sample::jvm).toList())) {
            List<SoakCommand.Sample> all = samples.stream().filter(s -> s.jvm().equals(jvm)).toList();
            List<SoakCommand.Sample> trend = all.stream().filter(s -> s.minute() >= warmupMinutes).toList();
            Map<String, ToDoubleFunction<SoakCommand.Sample>> series = new TreeMap<>(Map.of(
                    "heap after GC (MB)", SoakCommand.Sample::heapLiveMb,
                    "threads", s -> s.threads(),
                    "open fds", s -> s.fds(),
                    "rss (MB)", SoakCommand.Sample::rssMb));
            series.forEach((name, value) -> {
                double[] x = trend.stream().mapToDouble(SoakCommand.Sample::minute).toArray();
                double[] y = trend.stream().mapToDouble(value).toArray();
                double slope = slopePer10(x, y);
                Double threshold = thresholds.get(name);
                String verdict;
                if (threshold == null) {
                    verdict = "(reported only: the JVM keeps freed heap)";
                } else if (Double.isNaN(slope)) {
                    verdict = "too few samples";
                    passed = false;
                } else if (slope > threshold) {
                    verdict = "GROWS";
                    passed = false;
                } else {
                    verdict = "flat";
                }
                double[] ys = all.stream().mapToDouble(value).toArray();
                text.append(String.format(Locale.ROOT, "%-8s %-20s %9.1f %9.1f %9.1f %9.1f %+12.2f %10s  %s%n", jvm,
                        name, ys[0], ys[ys.length - 1], min(ys), max(ys), slope,
                        threshold == null ? "-" : String.format(Locale.ROOT, "%.1f", threshold), verdict));
            });
        }
        text.append("requests:");
        new TreeMap<>(outcomes).forEach((kind, o) -> text.append(' ').append(kind).append(' ').append(o.ok.get())
                .append(" ok").append(o.failed.get() > 0 ? ", " + o.failed.get() + " FAILED (last: " + o.lastFailure
                        + ")" : "").append(';'));
        text.append(String.format(Locale.ROOT, " kafka records answered %d, unanswered %d%n", directAnswered,
                directUnanswered));
        text.append(stop == null ? "stop: bin/kaption local did NOT exit within 60 s of SIGTERM%n".formatted()
                : String.format(Locale.ROOT, "stop: bin/kaption local exited %.1f s after SIGTERM%n",
                        stop.toMillis() / 1000.0));
        text.append("samples: ").append(out.resolve("samples.tsv")).append(", GC logs: ")
                .append(out.resolve("gc-local.log")).append(", ").append(out.resolve("gc-broker.log"))
                .append(System.lineSeparator());
        return text.toString();
    }

    private static double min(double[] values) {
        double min = Double.POSITIVE_INFINITY;
        for (double v : values) {
            min = Math.min(min, v);
        }
        return min;
    }

    private static double max(double[] values) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            max = Math.max(max, v);
        }
        return max;
    }
}
