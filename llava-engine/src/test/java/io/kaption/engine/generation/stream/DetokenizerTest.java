package io.kaption.engine.generation.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.prompt.LlavaTokenizer;
import io.kaption.engine.LlavaFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Streamed chunks concatenate to exactly what transformers' / tokenizers' full decode returns. */
class DetokenizerTest {

    static {
        System.setProperty("ai.djl.offline", "true");
    }

    private static final Map<String, LlavaTokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    @AfterAll
    static void closeTokenizers() {
        TOKENIZERS.values().forEach(LlavaTokenizer::close);
    }

    /** (variant, label, generated ids, the fixture's new_text) for every generation recorded in the fixtures. */
    static Stream<Arguments> generations() {
        List<Arguments> out = new ArrayList<>();
        for (String variant : LlavaFixture.VARIANTS) {
            for (JsonNode c : LlavaFixture.casesJson(variant).get("cases")) {
                String id = c.get("id").asText();
                if (c.has("preprocess")) {
                    c.get("preprocess").properties().forEach(mode -> out.add(Arguments.of(variant, id + "." + mode.getKey(),
                            mode.getValue().get("new_token_ids"), mode.getValue().get("new_text").asText())));
                }
                if (c.has("new_text")) {
                    out.add(Arguments.of(variant, id, c.get("new_token_ids"), c.get("new_text").asText()));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("generations")
    void chunksConcatenateToTheFixtureText(String variant, String label, JsonNode ids, String expected) {
        DetokenizerStream stream = detokenizer(variant).newStream();
        StringBuilder text = new StringBuilder();
        for (JsonNode id : ids) {
            String chunk = stream.accept(id.asLong());
            assertWholeCharacters(chunk);
            text.append(chunk);
        }
        text.append(stream.finish());

        assertThat(text.toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny"})
    void byteFallbackCharactersArriveWholeInOneChunk(String variant) {
        String original = "Cat 🐱 猫 and 𝄞 in €, naïve 😀😀 — 鼹鼠 ok";
        long[] ids = tokenizer(variant).encode(original, false);
        DetokenizerStream stream = detokenizer(variant).newStream();
        List<String> chunks = new ArrayList<>();
        for (long id : ids) {
            chunks.add(stream.accept(id));
        }
        chunks.add(stream.finish());

        assertThat(String.join("", chunks)).isEqualTo(original).isEqualTo(tokenizer(variant).decode(ids));
        chunks.forEach(DetokenizerTest::assertWholeCharacters);
        assertThat(chunks).anyMatch(c -> c.contains("🐱")).anyMatch(c -> c.contains("😀"));
        // the emoji needs several byte tokens, so some ids yield nothing until its last byte arrives
        assertThat(chunks).contains("");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny"})
    void randomIdSequencesDecodeLikeTheTokenizersLibrary(String variant) {
        Detokenizer detokenizer = detokenizer(variant);
        LlavaTokenizer reference = tokenizer(variant);
        Random random = new Random(42);
        for (int sequence = 0; sequence < 400; sequence++) {
            long[] ids = new long[1 + random.nextInt(30)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = switch (random.nextInt(6)) {
                    case 0, 1 -> 3 + random.nextInt(256);           // byte-fallback tokens <0x00>..<0xFF>
                    case 2 -> new long[] {0, 1, 2, 32000, 32001}[random.nextInt(5)]; // special tokens
                    case 3 -> 32002 + random.nextInt(62);           // past the tokenizer (random lm_head rows)
                    case 4 -> new long[] {29871, 13, 259, 1678}[random.nextInt(4)]; // spaces and newlines
                    default -> 259 + random.nextInt(31741);         // ordinary pieces
                };
            }
            assertThat(detokenizer.decode(ids)).as("ids %s", java.util.Arrays.toString(ids))
                    .isEqualTo(reference.decode(ids));
        }
    }

    @Test
    void unsupportedDecodersAreRefusedClearly(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"vocab\": {\"a\": 0}}, \"added_tokens\": [], "
                + "\"decoder\": {\"type\": \"ByteLevel\"}}");

        assertThatThrownBy(() -> Detokenizer.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not support decoder ByteLevel");
    }

    @Test
    void vocabularyCoversTheTokenizerButNotTheLmHeadPadding() {
        assertThat(detokenizer("llava15-tiny").vocabularySize()).isEqualTo(32002);
        DetokenizerStream stream = detokenizer("llava15-tiny").newStream();
        assertThat(stream.accept(32063)).isEmpty();
        assertThat(stream.accept(1)).isEmpty();
        assertThat(stream.accept(7251)).isEqualTo("hi");
        assertThat(stream.accept(7251)).isEqualTo(" hi");
    }

    private static void assertWholeCharacters(String chunk) {
        if (!chunk.isEmpty()) {
            assertThat(Character.isLowSurrogate(chunk.charAt(0))).as("chunk starts mid-character: %s", chunk).isFalse();
            assertThat(Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)))
                    .as("chunk ends mid-character: %s", chunk).isFalse();
        }
    }

    private static final Map<String, Detokenizer> DETOKENIZERS = new ConcurrentHashMap<>();

    private static Detokenizer detokenizer(String variant) {
        return DETOKENIZERS.computeIfAbsent(variant, v -> {
            try {
                return Detokenizer.load(LlavaFixture.modelDir(v).resolve("tokenizer.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static LlavaTokenizer tokenizer(String variant) {
        return TOKENIZERS.computeIfAbsent(variant, v -> {
            try {
                return LlavaTokenizer.load(LlavaFixture.modelDir(v));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
