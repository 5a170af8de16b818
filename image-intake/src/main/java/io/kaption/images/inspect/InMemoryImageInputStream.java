package io.kaption.images.inspect;

import javax.imageio.IIOException;
import java.io.IOException;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@link javax.imageio.stream.ImageInputStream} over an image held in memory that stops a decoder reading on and on
 * past the end. TwelveMonkeys' WebP lossless decoder swallows the {@link java.io.EOFException} of a truncated bit
 * stream and goes on decoding zero bits, one caught exception per read, for every declared pixel: a 100-byte file
 * declaring 1000 × 1000 pixels held a thread for minutes (found by {@code ImageAdmissionFuzzTest}). Reads at the end
 * answer end-of-stream as usual (decoders prefetch a few bytes past the last one), but past {@link #READS_PAST_END}
 * of them the stream throws an {@link IIOException}, which no decoder mistakes for a normal end.
 */
final class InMemoryImageInputStream extends ImageInputStreamImpl {

    /** Far more than any decoder's look-ahead; at most a few milliseconds of thrown EOFExceptions. */
    static final int READS_PAST_END = 4096;

    private final byte[] bytes;
    private int readsPastEnd;

    InMemoryImageInputStream(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        if (streamPos >= bytes.length) {
            return endOfStream();
        }
        return bytes[(int) streamPos++] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        checkClosed();
        bitOffset = 0;
        if (length == 0) {
            return 0;
        }
        if (streamPos >= bytes.length) {
            return endOfStream();
        }
        int count = (int) Math.min(length, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, target, offset, count);
        streamPos += count;
        return count;
    }

    @Override
    public long length() {
        return bytes.length;
    }

    private int endOfStream() throws IIOException {
        if (++readsPastEnd > READS_PAST_END) {
            throw new IIOException("the image data ends early: the decoder read past the end "
                    + READS_PAST_END + " times");
        }
        return -1;
    }
}
