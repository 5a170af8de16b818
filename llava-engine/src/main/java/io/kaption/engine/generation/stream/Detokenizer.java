package io.kaption.engine.generation.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes generated token ids to text exactly as {@code tokenizer.decode(ids, skip_special_tokens=True)} does for
 * SentencePiece-style {@code tokenizer.json} files (Llama, Mistral), but incrementally: see {@link #newStream()}.
 *
 * <p>The file's decoder must be a sequence of {@code Replace} (string patterns), {@code ByteFallback}, {@code Fuse}
 * and a final {@code Strip} of leading characters — what transformers writes for Llama and Mistral tokenizers.
 * Special added tokens and ids without a vocabulary entry (random or padded lm_heads emit ids past the tokenizer's
 * size) produce no text. Immutable and thread-safe.
 */
public final class Detokenizer {

    private static final Logger LOG = LoggerFactory.getLogger(Detokenizer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String[] pieces;
    private final boolean[] special;
    private final List<String[]> replacements;
    private final boolean byteFallback;
    private final char stripContent;
    private final int stripLeading;

    private Detokenizer(String[] pieces, boolean[] special, List<String[]> replacements, boolean byteFallback,
            char stripContent, int stripLeading) {
        this.pieces = pieces;
        this.special = special;
        this.replacements = replacements;
        this.byteFallback = byteFallback;
        this.stripContent = stripContent;
        this.stripLeading = stripLeading;
    }

    /** Reads the vocabulary, added tokens and decoder of a {@code tokenizer.json}. */
    public static Detokenizer load(Path tokenizerJson) throws IOException {
        JsonNode root = JSON.readTree(tokenizerJson.toFile());
        JsonNode vocab = root.path("model").path("vocab");
        int size = vocab.isArray() ? vocab.size() : 0;
        if (!vocab.isArray()) {
            for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                size = Math.max(size, id.asInt() + 1);
            }
        }
        for (JsonNode token : root.path("added_tokens")) {
            size = Math.max(size, token.get("id").asInt() + 1);
        }
        String[] pieces = new String[size];
        boolean[] special = new boolean[size];
        if (vocab.isArray()) {
            for (int id = 0; id < vocab.size(); id++) {
                pieces[id] = vocab.get(id).get(0).asText();
            }
        } else {
            vocab.properties().forEach(e -> pieces[e.getValue().asInt()] = e.getKey());
        }
        for (JsonNode token : root.path("added_tokens")) {
            int id = token.get("id").asInt();
            pieces[id] = token.get("content").asText();
            special[id] = token.path("special").asBoolean(false);
        }

        JsonNode decoder = root.path("decoder");
        List<JsonNode> steps = new ArrayList<>();
        if (decoder.path("type").asText().equals("Sequence")) {
            decoder.path("decoders").forEach(steps::add);
        } else if (!decoder.isMissingNode() && !decoder.isNull()) {
            steps.add(decoder);
        }
        List<String[]> replacements = new ArrayList<>();
        boolean byteFallback = false;
        boolean fused = false;
        char stripContent = ' ';
        int stripLeading = 0;
        String stage = "replace";
        for (JsonNode step : steps) {
            String type = step.path("type").asText();
            switch (type) {
                case "Replace" -> {
                    if (!stage.equals("replace") || !step.path("pattern").has("String")) {
                        throw unsupported(tokenizerJson, "Replace with a regex or after other decoders");
                    }
                    replacements.add(new String[] {step.path("pattern").get("String").asText(), step.path("content").asText()});
                }
                case "ByteFallback" -> {
                    byteFallback = true;
                    stage = "bytes";
                }
                case "Fuse" -> {
                    fused = true;
                    stage = "fused";
                }
                case "Strip" -> {
                    String content = step.path("content").asText();
                    if (!fused || step.path("stop").asInt() != 0 || content.length() != 1) {
                        throw unsupported(tokenizerJson, "Strip of trailing characters or before Fuse");
                    }
                    stripContent = content.charAt(0);
                    stripLeading = step.path("start").asInt();
                    stage = "stripped";
                }
                default -> throw unsupported(tokenizerJson, "decoder " + type);
            }
        }
        if (steps.isEmpty()) {
            throw unsupported(tokenizerJson, "a missing decoder");
        }
        checkCleanUp(tokenizerJson.resolveSibling("tokenizer_config.json"));
        return new Detokenizer(pieces, special, List.copyOf(replacements), byteFallback, stripContent, stripLeading);
    }

    private static void checkCleanUp(Path tokenizerConfig) throws IOException {
        if (Files.isRegularFile(tokenizerConfig)
                && JSON.readTree(tokenizerConfig.toFile()).path("clean_up_tokenization_spaces").asBoolean(false)) {
            LOG.warn("{} asks for clean_up_tokenization_spaces; streamed text keeps the spaces (as LLaVA's decoding does "
                    + "with the flag off)", tokenizerConfig);
        }
    }

    private static IllegalArgumentException unsupported(Path file, String what) {
        return new IllegalArgumentException(file + ": streaming detokenization does not support " + what);
    }

    /** A new per-sequence stream: feed it the generated ids one at a time. */
    public DetokenizerStream newStream() {
        return new DetokenizerStream(this);
    }

    /** The whole text of {@code ids}: the concatenation of a stream's chunks and its {@code finish()}. */
    public String decode(long[] ids) {
        DetokenizerStream stream = newStream();
        StringBuilder out = new StringBuilder();
        for (long id : ids) {
            out.append(stream.accept(id));
        }
        return out.append(stream.finish()).toString();
    }

    /** Number of ids with a vocabulary entry or added token; larger ids decode to nothing. */
    public int vocabularySize() {
        return pieces.length;
    }

    /**
     * The text {@code id} adds wherever it stands, before the leading {@code Strip}: its piece, or the character
     * of an ASCII byte-fallback piece; null when it adds no text (special, unknown) or only part of a character
     * (a byte of a multi-byte UTF-8 sequence, which decodes differently by its neighbours).
     */
    public String standaloneText(int id) {
        String piece = piece(id);
        if (piece == null) {
            return null;
        }
        int fallback = fallbackByte(piece);
        if (fallback >= 0x80) {
            return null;
        }
        return fallback >= 0 ? String.valueOf((char) fallback) : piece;
    }

    /** The character the decoder strips from the start of the whole text, up to {@link #leadingStripCount()} times. */
    public char leadingStripChar() {
        return stripContent;
    }

    public int leadingStripCount() {
        return stripLeading;
    }

    /** The decoded piece of {@code id} before byte fallback, or null when the id produces no text. */
    String piece(long id) {
        if (id < 0 || id >= pieces.length || pieces[(int) id] == null || special[(int) id]) {
            return null;
        }
        String piece = pieces[(int) id];
        for (String[] r : replacements) {
            piece = piece.replace(r[0], r[1]);
        }
        return piece;
    }

    /** The byte a {@code <0xNN>} piece stands for, or -1 when the piece is text (or byte fallback is off). */
    int fallbackByte(String piece) {
        if (!byteFallback || piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    char stripContent() {
        return stripContent;
    }

    int stripLeading() {
        return stripLeading;
    }
}
