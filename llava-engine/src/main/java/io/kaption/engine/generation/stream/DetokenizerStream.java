package io.kaption.engine.generation.stream;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Incremental detokenization of one generated sequence. Each {@link #accept(long)} returns the text that id adds;
 * {@link #finish()} returns what is still held back. The concatenation of all returned chunks equals the full
 * {@code tokenizer.decode(ids, skip_special_tokens=True)}:
 * <ul>
 *   <li>byte-fallback tokens ({@code <0xE2>}...) are held until the run of consecutive byte tokens ends (the next
 *       text token, or {@code finish()}); the run becomes its UTF-8 text, or one U+FFFD per byte when it is not valid
 *       UTF-8 — so a character is never split across chunks;</li>
 *   <li>the leading-space strip of SentencePiece decoders applies once, to the start of the whole text;</li>
 *   <li>special tokens and ids without a vocabulary entry yield "" and do not end a byte run.</li>
 * </ul>
 * Not thread-safe: one stream per sequence.
 */
public final class DetokenizerStream {

    private final Detokenizer detokenizer;
    private final ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
    private int stripRemaining;

    DetokenizerStream(Detokenizer detokenizer) {
        this.detokenizer = detokenizer;
        this.stripRemaining = detokenizer.stripLeading();
    }

    /** The text {@code id} adds (possibly "", when it is special, unknown or part of an unfinished byte run). */
    public String accept(long id) {
        String piece = detokenizer.piece(id);
        if (piece == null) {
            return "";
        }
        int b = detokenizer.fallbackByte(piece);
        if (b >= 0) {
            pendingBytes.write(b);
            return "";
        }
        return strip(flushBytes() + piece);
    }

    /** What is still held back once the sequence has ended (an unfinished byte run), possibly "". */
    public String finish() {
        return strip(flushBytes());
    }

    private String flushBytes() {
        if (pendingBytes.size() == 0) {
            return "";
        }
        byte[] bytes = pendingBytes.toByteArray();
        pendingBytes.reset();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            // tokenizers' ByteFallback: a run that is not valid UTF-8 becomes one replacement character per byte.
            return "\uFFFD".repeat(bytes.length);
        }
    }

    private String strip(String text) {
        if (stripRemaining == 0 || text.isEmpty()) {
            return text;
        }
        int cut = 0;
        while (cut < text.length() && stripRemaining > 0 && text.charAt(cut) == detokenizer.stripContent()) {
            cut++;
            stripRemaining--;
        }
        if (cut < text.length()) {
            stripRemaining = 0;
        }
        return text.substring(cut);
    }
}
