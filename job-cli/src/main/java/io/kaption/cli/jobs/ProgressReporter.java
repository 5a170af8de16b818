package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides what {@code kaption job submit} writes to stderr while it waits. On a terminal, one line redrawn in place on
 * every change. Otherwise (a log file, CI) a plain line when the state changes, and when only the counts changed, at
 * most once per {@code plainInterval}.
 */
public final class ProgressReporter {

    /** Carriage return, the line, then "erase to end of line" so a shorter line leaves no rest of the longer one. */
    private static final String REDRAW = "\r%s\u001b[K";

    private final boolean terminal;
    private final Duration plainInterval;
    private String lastLine;
    private String lastState;
    private Instant lastWritten;

    public ProgressReporter(boolean terminal, Duration plainInterval) {
        this.terminal = terminal;
        this.plainInterval = plainInterval;
    }

    /** What to write for the job's latest status, seen at {@code now}; empty when nothing. */
    public Optional<String> update(JsonNode job, Instant now) {
        String line = JobDisplay.progressLine(job);
        String state = job.path("state").asText();
        if (line.equals(lastLine)) {
            return Optional.empty();
        }
        boolean stateChanged = !state.equals(lastState);
        if (!terminal && !stateChanged && now.isBefore(lastWritten.plus(plainInterval))) {
            return Optional.empty();
        }
        lastLine = line;
        lastState = state;
        lastWritten = now;
        return Optional.of(terminal ? String.format(REDRAW, line) : line + "\n");
    }

    /**
     * What ends the progress output before something else is written to stderr: a newline after a redrawn line. The
     * next {@link #update} starts afresh.
     */
    public String finish() {
        String end = terminal && lastLine != null ? "\n" : "";
        lastLine = null;
        lastState = null;
        return end;
    }
}
