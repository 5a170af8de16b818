package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Manifest lines of bucket jobs against any text (coverage-guided, Jazzer): a line becomes an entry with a record id
 * and an image URL, or is refused with a reason (an error line of the job); it never throws, which would stop the
 * planner on one bad line of a user's manifest.
 *
 * <p>{@code mvn verify} replays the corpus under {@code src/test/resources/.../ManifestLineFuzzTestInputs};
 * {@code tools/fuzz/run} fuzzes (see {@code docs/RELIABILITY.md}).
 */
class ManifestLineFuzzTest {

    @FuzzTest(maxExecutions = 20_000)
    void aLineIsAnEntryOrRefusedWithAReason(byte[] input) {
        ManifestLine line = ManifestLine.parse(new String(input, StandardCharsets.UTF_8), 7);

        assertThat(line.recordId()).isNotEmpty();
        if (line instanceof ManifestLine.Entry entry) {
            assertThat(entry.imageUrl()).isNotEmpty();
            assertThat(entry.overrides().has("image_url")).isFalse();
        } else {
            assertThat(((ManifestLine.Refused) line).reason()).startsWith("line 7");
        }
    }
}
