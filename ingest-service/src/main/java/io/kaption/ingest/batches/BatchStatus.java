package io.kaption.ingest.batches;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;

import java.util.Set;

/**
 * How a batch's OpenAI status follows its bucket job's state.
 *
 * <table>
 *   <tr><th>job</th><th>batch</th></tr>
 *   <tr><td>(input file refused)</td><td>{@code failed}, with {@code errors}; no job</td></tr>
 *   <tr><td>{@code validating}, {@code in_progress}</td><td>{@code in_progress}</td></tr>
 *   <tr><td>{@code finalizing}, or ended while the output files are assembled</td><td>{@code finalizing}</td></tr>
 *   <tr><td>{@code cancelling} (or a cancel was asked)</td><td>{@code cancelling}</td></tr>
 *   <tr><td>{@code completed}, {@code partially_completed}, {@code failed} with records</td>
 *       <td>{@code completed}: the failed records are in the error file, as at OpenAI</td></tr>
 *   <tr><td>{@code failed} as a whole (its manifest could not be read)</td><td>{@code failed}</td></tr>
 *   <tr><td>{@code cancelled}</td><td>{@code cancelled}, or {@code expired} when the window ran out</td></tr>
 * </table>
 */
final class BatchStatus {

    static final String VALIDATING = "validating";
    static final String FAILED = "failed";
    static final String IN_PROGRESS = "in_progress";
    static final String FINALIZING = "finalizing";
    static final String COMPLETED = "completed";
    static final String EXPIRED = "expired";
    static final String CANCELLING = "cancelling";
    static final String CANCELLED = "cancelled";
    private static final Set<String> TERMINAL = Set.of(COMPLETED, FAILED, EXPIRED, CANCELLED);

    private BatchStatus() {
    }

    static boolean isTerminal(String status) {
        return TERMINAL.contains(status);
    }

    /** The batch's status while its job has not ended. */
    static String running(JobState job, boolean cancelAsked) {
        if (job == JobState.CANCELLING || cancelAsked && job != JobState.FINALIZING) {
            return CANCELLING;
        }
        return job == JobState.FINALIZING ? FINALIZING : IN_PROGRESS;
    }

    /** The batch's status once its job has ended and the output files are written. */
    static String ended(JobStatus job, boolean expiring) {
        return switch (job.state()) {
            case CANCELLED -> expiring ? EXPIRED : CANCELLED;
            case FAILED -> job.error() != null ? FAILED : COMPLETED;
            default -> COMPLETED;
        };
    }

    /** The owning API key's fingerprint, null when keys are off. */
    static String owner(ObjectNode batch) {
        return batch.path("kaption").hasNonNull("owner") ? batch.path("kaption").get("owner").asText() : null;
    }

    /** OpenAI's batch object: the document without Kaption's own fields. */
    static ObjectNode view(ObjectNode batch) {
        ObjectNode view = batch.deepCopy();
        view.remove("kaption");
        return view;
    }
}
