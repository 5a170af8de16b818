package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * How the CLI shows jobs: pure functions of the job JSON ({@code kaption.job-status/v1}). Fields it does not know are
 * ignored, as the contract asks of readers.
 */
public final class JobDisplay {

    /** Characters of the progress bar between its brackets. */
    public static final int BAR_WIDTH = 20;

    private JobDisplay() {
    }

    /**
     * One line of progress, e.g. {@code [##########..........] 512/1000 done, 3 failed · in_progress}. "done" counts
     * the records with a line, result or error. Until planning is done the total is not known: the bar stays empty
     * and the line says how many records are planned so far.
     */
    public static String progressLine(JsonNode job) {
        JsonNode counts = job.path("counts");
        long done = counts.path("completed").asLong() + counts.path("failed").asLong();
        long failed = counts.path("failed").asLong();
        String state = job.path("state").asText("?");
        StringBuilder line = new StringBuilder("[");
        if (counts.hasNonNull("total")) {
            long total = counts.get("total").asLong();
            int filled = total == 0 ? BAR_WIDTH : (int) (Math.min(done, total) * BAR_WIDTH / total);
            line.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(done).append('/').append(total);
        } else {
            line.append(".".repeat(BAR_WIDTH)).append("] ").append(done).append("/?");
        }
        line.append(" done, ").append(failed).append(" failed · ").append(state);
        if (!counts.hasNonNull("total")) {
            line.append(" (").append(counts.path("planned").asLong()).append(" planned so far)");
        }
        return line.toString();
    }

    /** The lines of {@code kaption job status} and of the end of {@code kaption job submit}. */
    public static List<String> summary(JsonNode job) {
        List<String> lines = new ArrayList<>();
        JsonNode counts = job.path("counts");
        lines.add("job:       " + job.path("job_id").asText());
        lines.add("state:     " + job.path("state").asText());
        String total = counts.hasNonNull("total") ? counts.get("total").asText() + " total"
                : "? total (" + counts.path("planned").asLong() + " planned so far)";
        lines.add("records:   " + total + ", " + counts.path("completed").asLong() + " completed, "
                + counts.path("failed").asLong() + " failed");
        JsonNode usage = job.path("usage");
        lines.add("tokens:    " + usage.path("prompt_tokens").asLong() + " prompt, "
                + usage.path("completion_tokens").asLong() + " completion, "
                + usage.path("total_tokens").asLong() + " total");
        lines.add("input:     " + job.path("input").asText() + " (" + job.path("input_format").asText() + ")");
        lines.add("output:    " + job.path("output").asText());
        lines.add("group:     " + job.path("consumer_group").asText());
        lines.add("created:   " + job.path("created_at").asText());
        if (job.hasNonNull("finished_at")) {
            lines.add("finished:  " + job.get("finished_at").asText());
        }
        if (job.hasNonNull("manifest_uri")) {
            lines.add("manifest:  " + job.get("manifest_uri").asText());
        }
        if (job.path("error").isObject()) {
            lines.add("error:     " + job.get("error").path("code").asText() + ": "
                    + job.get("error").path("message").asText());
        }
        return lines;
    }

    /** The table of {@code kaption job list}: a header and one row per job, in the order given. */
    public static List<String> table(JsonNode jobs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATE", "COMPLETED/TOTAL", "FAILED", "CREATED"});
        for (JsonNode job : jobs) {
            JsonNode counts = job.path("counts");
            rows.add(new String[] {
                    job.path("job_id").asText(),
                    job.path("state").asText(),
                    counts.path("completed").asLong() + "/"
                            + (counts.hasNonNull("total") ? counts.get("total").asText() : "?"),
                    Long.toString(counts.path("failed").asLong()),
                    toSeconds(job.path("created_at").asText())});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** {@code 2025-03-01T12:00:05.123456Z} as {@code 2025-03-01T12:00:05Z}; anything else unchanged. */
    private static String toSeconds(String timestamp) {
        try {
            return Instant.parse(timestamp).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return timestamp;
        }
    }
}
