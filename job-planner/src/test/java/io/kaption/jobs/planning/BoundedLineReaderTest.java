package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BoundedLineReaderTest {

    private static BoundedLineReader reader(String text, long start, int max) {
        return new BoundedLineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), start, max);
    }

    @Test
    void readsLinesWithTheirEndOffsets() throws Exception {
        BoundedLineReader reader = reader("ab\r\n\nü\nlast", 100, 64);
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("ab", false, 104));
        BoundedLineReader.Line blank = reader.next();
        assertThat(blank).isEqualTo(new BoundedLineReader.Line("", false, 105));
        assertThat(blank.isBlank()).isTrue();
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("ü", false, 108));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("last", false, 112));
        assertThat(reader.next()).isNull();
    }

    @Test
    void skipsAnOversizedLineToItsEnd() throws Exception {
        String longLine = "x".repeat(200_000);
        BoundedLineReader reader = reader("12345\n" + longLine + "\n123456\nok\n", 0, 6);
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("12345", false, 6));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line(null, true, 6 + 200_001));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("123456", false, 6 + 200_001 + 7));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("ok", false, 6 + 200_001 + 10));
        assertThat(reader.next()).isNull();
    }
}
