package io.kaption.jobs.planning;

import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import java.time.Instant;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A job's input, read page by page from a checkpoint on. Any exception other than {@link InputUnreadableException}
 * is transient: the caller closes the source and opens a new one at its last committed checkpoint.
 */
interface PageSource extends AutoCloseable {

    /** The next page; its records are numbered from {@code firstIndex}, their requests created at {@code now}. */
    Page next(long firstIndex, Instant now) throws InputUnreadableException;

    @Override
    void close();

    /** Reads {@code spec}'s input after {@code checkpoint} (null: from the start). */
    static PageSource open(S3Client s3, JobSpec spec, JobPlan checkpoint, int pageSize, int maxLineBytes)
            throws InputUnreadableException {
        S3Location input;
        try {
            input = S3Location.parse(spec.input());
        } catch (IllegalArgumentException e) {
            throw new InputUnreadableException(InputUnreadableException.UNREADABLE, e.getMessage());
        }
        if (spec.inputFormat() == InputFormat.IMAGES) {
            return new ImagePages(s3, spec, input, pageSize, checkpoint == null ? null : checkpoint.lastKey());
        }
        if (input.key().isEmpty() || input.key().endsWith("/")) {
            throw new InputUnreadableException(InputUnreadableException.UNREADABLE,
                    spec.input() + " is not a manifest: a jsonl input names one object");
        }
        long offset = checkpoint == null || checkpoint.byteOffset() == null ? 0 : checkpoint.byteOffset();
        return new ManifestPages(s3, spec, input, pageSize, maxLineBytes, offset);
    }
}
