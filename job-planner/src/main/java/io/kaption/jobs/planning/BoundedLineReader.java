package io.kaption.jobs.planning;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads {@code \n}-terminated lines from a stream without ever holding more than {@code maxLineBytes} of one line: a
 * longer line is skipped to its end and reported as {@link Line#oversized()}. Counts the bytes consumed, so that a
 * reader can resume at the end of the last line it handled. A trailing {@code \r} is dropped.
 */
final class BoundedLineReader {

    /** One line: its text (null when oversized), and the stream offset just after its terminating newline. */
    record Line(String text, boolean oversized, long endOffset) {
        boolean isBlank() {
            return !oversized && text.isBlank();
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private long offset;
    private byte[] line = new byte[256];

    BoundedLineReader(InputStream in, long startOffset, int maxLineBytes) {
        this.in = in;
        this.offset = startOffset;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line, or null at the end of the stream. A last line without a newline counts as a line. */
    Line next() throws IOException {
        int length = 0;
        boolean oversized = false;
        boolean any = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return any ? finish(length, oversized) : null;
                }
            }
            any = true;
            byte b = buffer[position++];
            offset++;
            if (b == '\n') {
                return finish(length, oversized);
            }
            if (oversized) {
                continue;
            }
            if (length == maxLineBytes) {
                oversized = true;
                continue;
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
            }
            line[length++] = b;
        }
    }

    private Line finish(int length, boolean oversized) {
        if (oversized) {
            return new Line(null, true, offset);
        }
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return new Line(new String(line, 0, length, StandardCharsets.UTF_8), false, offset);
    }
}
