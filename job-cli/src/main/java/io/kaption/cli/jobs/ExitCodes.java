package io.kaption.cli.jobs;

/** Exit statuses of {@code kaption job}; documented in the command's help and in docs/bucket-jobs.md. */
public final class ExitCodes {

    /** The job completed (submit), or the command did what it was asked (status, list, cancel, submit --detach). */
    public static final int OK = 0;
    /** The job failed, or the API answered an error, or it could not be reached. */
    public static final int FAILED = 1;
    /** The job ended partially_completed: some records have error lines. */
    public static final int PARTIALLY_COMPLETED = 2;
    /** The job was cancelled. */
    public static final int CANCELLED = 3;
    /** The command line was wrong (sysexits' EX_USAGE; picocli's default 2 is taken by partially_completed). */
    public static final int USAGE = 64;

    private ExitCodes() {
    }

    /** True for the states a job never leaves. */
    public static boolean isTerminal(String state) {
        return switch (state) {
            case "completed", "partially_completed", "failed", "cancelled" -> true;
            default -> false;
        };
    }

    /** The exit status of {@code kaption job submit} for the terminal state a job reached. */
    public static int forTerminalState(String state) {
        return switch (state) {
            case "completed" -> OK;
            case "partially_completed" -> PARTIALLY_COMPLETED;
            case "cancelled" -> CANCELLED;
            case "failed" -> FAILED;
            default -> throw new IllegalArgumentException("not a terminal job state: " + state);
        };
    }
}
