package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;

/**
 * A bucket job's manifest as its owner wrote it, any bytes: every line becomes a request or an {@code invalid_record}
 * result for that line (the job goes on), never an exception that would stop planning. Lines go through the same
 * reader, parser and request validation as {@link ManifestPages} uses, without S3. Under {@code mvn verify} this
 * replays the committed corpus in {@code ManifestFuzzTestInputs/}; {@code tools/fuzz/run} fuzzes it.
 */
class ManifestFuzzTest {

    private static final int MAX_LINE_BYTES = 1024;
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final JobSpec SPEC;

    static {
        ObjectNode template = JsonNodeFactory.instance.objectNode();
        template.put("text", "Describe the image.");
        template.put("max_new_tokens", 32);
        SPEC = new JobSpec("job-fuzz", "s3://in/manifest.jsonl", InputFormat.JSONL, "s3://out/", template,
                "primary", null, NOW);
    }

    @FuzzTest(maxDuration = "60s")
    void manifestLines(byte[] manifest) throws IOException {
        BoundedLineReader reader = new BoundedLineReader(new ByteArrayInputStream(manifest), 0, MAX_LINE_BYTES);
        long lineNumber = 0;
        for (BoundedLineReader.Line line = reader.next(); line != null; line = reader.next()) {
            lineNumber++;
            assertThat(line.endOffset()).isBetween(1L, (long) manifest.length);
            if (line.isBlank() || line.oversized()) {
                continue;
            }
            ManifestLine parsed = ManifestLine.parse(line.text(), lineNumber);
            PlannedRecord planned = parsed instanceof ManifestLine.Entry entry
                    ? PlannedRecord.of(SPEC, lineNumber, entry.recordId(), entry.imageUrl(), entry.overrides(), NOW)
                    : PlannedRecord.refused(SPEC, lineNumber, parsed.recordId(),
                            ((ManifestLine.Refused) parsed).imageUrl(), ((ManifestLine.Refused) parsed).reason());
            assertThat(planned.requestId()).isEqualTo("job-fuzz-" + lineNumber);
        }
    }
}
