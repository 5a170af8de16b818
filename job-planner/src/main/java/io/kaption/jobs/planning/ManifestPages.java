package io.kaption.jobs.planning;

import io.kaption.schemas.jobs.JobSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A jsonl input: one ranged GET from the checkpoint's byte offset, streamed line by line across pages (never more
 * than one line in memory, and no line above {@code maxLineBytes}). Blank lines are skipped; every other line is a
 * record, refused with {@code invalid_record} when it is not a usable manifest line.
 */
final class ManifestPages implements PageSource {

    private static final int RANGE_NOT_SATISFIABLE = 416;

    private final S3Client s3;
    private final JobSpec spec;
    private final S3Location manifest;
    private final int pageSize;
    private final int maxLineBytes;
    private final long startOffset;
    private ResponseInputStream<GetObjectResponse> stream;
    private BoundedLineReader reader;
    /** Lines consumed so far, blank ones included: the number of the last one. */
    private long lineNumber;
    /** Manifest offset after the last line consumed. */
    private long consumed;
    /** A line read ahead to learn whether the page before it was the last. */
    private BoundedLineReader.Line pending;
    private boolean ended;

    ManifestPages(S3Client s3, JobSpec spec, S3Location manifest, int pageSize, int maxLineBytes, long startOffset) {
        this.s3 = s3;
        this.spec = spec;
        this.manifest = manifest;
        this.pageSize = pageSize;
        this.maxLineBytes = maxLineBytes;
        this.startOffset = startOffset;
        this.consumed = startOffset;
    }

    @Override
    public Page next(long firstIndex, Instant now) throws InputUnreadableException {
        if (reader == null && !ended) {
            open();
        }
        List<PlannedRecord> records = new ArrayList<>();
        try {
            while (true) {
                BoundedLineReader.Line line = pending != null ? pending : ended ? null : reader.next();
                pending = null;
                if (line == null) {
                    ended = true;
                    return new Page(records, null, consumed, true);
                }
                if (records.size() == pageSize) {
                    pending = line;
                    return new Page(records, null, consumed, false);
                }
                lineNumber++;
                consumed = line.endOffset();
                if (line.isBlank()) {
                    continue;
                }
                records.add(plan(line, firstIndex + records.size(), now));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + spec.input() + " at byte " + consumed, e);
        }
    }

    private PlannedRecord plan(BoundedLineReader.Line line, long n, Instant now) {
        if (line.oversized()) {
            return PlannedRecord.refused(spec, n, ManifestLine.lineRecordId(lineNumber), null,
                    "line " + lineNumber + " is longer than " + maxLineBytes + " bytes");
        }
        ManifestLine parsed = ManifestLine.parse(line.text(), lineNumber);
        if (parsed instanceof ManifestLine.Refused refused) {
            return PlannedRecord.refused(spec, n, refused.recordId(), refused.imageUrl(), refused.reason());
        }
        ManifestLine.Entry entry = (ManifestLine.Entry) parsed;
        return PlannedRecord.of(spec, n, entry.recordId(), entry.imageUrl(), entry.overrides(), now);
    }

    private void open() throws InputUnreadableException {
        if (startOffset > 0) {
            lineNumber = countLines(startOffset);
        }
        GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(manifest.bucket()).key(manifest.key());
        if (startOffset > 0) {
            request.range("bytes=" + startOffset + "-");
        }
        try {
            stream = s3.getObject(request.build());
        } catch (RuntimeException e) {
            if (startOffset > 0 && e instanceof AwsServiceException service
                    && service.statusCode() == RANGE_NOT_SATISFIABLE) {
                ended = true; // the checkpoint is the manifest's end
                return;
            }
            if (S3Failures.isPermanent(e)) {
                throw S3Failures.inputError(spec.input(), e);
            }
            throw e;
        }
        reader = new BoundedLineReader(stream, startOffset, maxLineBytes);
    }

    /**
     * The number of lines before {@code offset}, which is the end of a line: {@code line-<n>} record ids are line
     * numbers, so a resumed manifest counts the lines it skips (streaming them, once per resumption).
     */
    private long countLines(long offset) throws InputUnreadableException {
        GetObjectRequest request = GetObjectRequest.builder().bucket(manifest.bucket()).key(manifest.key())
                .range("bytes=0-" + (offset - 1)).build();
        try (InputStream in = s3.getObject(request)) {
            byte[] buffer = new byte[64 * 1024];
            long lines = 0;
            int read;
            while ((read = in.read(buffer)) > 0) {
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("counting the lines of " + spec.input() + " before byte " + offset, e);
        } catch (RuntimeException e) {
            if (S3Failures.isPermanent(e)) {
                throw S3Failures.inputError(spec.input(), e);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (stream != null) {
            // Abort rather than drain: the rest of a large manifest is not wanted.
            stream.abort();
        }
    }
}
