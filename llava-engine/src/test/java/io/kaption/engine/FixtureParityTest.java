package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.vision.PixelValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every golden case of the three tiny LLaVA variants, through the public engine API. */
class FixtureParityTest {

    private static final Map<String, LlavaFixture> FIXTURES = new HashMap<>();
    private static final Map<String, LlavaEngine> ENGINES = new HashMap<>();

    static synchronized LlavaFixture fixture(String variant) {
        return FIXTURES.computeIfAbsent(variant, LlavaFixture::open);
    }

    static synchronized LlavaEngine engine(String variant) {
        return ENGINES.computeIfAbsent(variant,
                v -> LlavaEngine.load(fixture(v).modelDir(), LlavaEngine.Options.DEFAULTS));
    }

    @AfterAll
    static void closeAll() {
        ENGINES.values().forEach(LlavaEngine::close);
        ENGINES.clear();
        FIXTURES.values().forEach(LlavaFixture::close);
        FIXTURES.clear();
    }

    static Stream<Arguments> singleCases() {
        List<Arguments> args = new ArrayList<>();
        for (String variant : LlavaFixture.VARIANTS) {
            for (JsonNode c : fixture(variant).cases("single")) {
                c.path("preprocess").fieldNames().forEachRemaining(mode ->
                        args.add(Arguments.of(variant, c.path("id").asText(), mode)));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("singleCases")
    void singleCaseMatchesTransformers(String variant, String caseId, String mode) {
        LlavaFixture fixture = fixture(variant);
        LlavaEngine engine = engine(variant);
        JsonNode c = fixture.caseById(caseId);
        JsonNode expected = c.path("preprocess").path(mode);
        PixelValues pixels = fixture.pixelsOfCase(c, mode);

        assertClose(engine.visionFeatures(pixels), fixture.tensor(expected.path("vision_features").asText()).data(),
                1e-5f);
        float[] imageFeatures = engine.imageFeatures(pixels);
        assertThat(imageFeatures).hasSize(c.path("num_image_tokens").asInt() * engine.config().text().hiddenSize());
        assertClose(imageFeatures, fixture.tensor(expected.path("image_features").asText()).data(), 1e-5f);
        if (expected.has("logits_last")) {
            assertClose(engine.promptLogits(LlavaFixture.ints(c.path("input_ids")), pixels),
                    fixture.tensor(expected.path("logits_last").asText()).data(), 1e-4f);
        }

        int[] newIds = LlavaFixture.ints(expected.path("new_token_ids"));
        List<Integer> streamed = new ArrayList<>();
        GenerationResult fromUnexpanded = engine.generate(List.of(new GenerationRequest(
                        LlavaFixture.ints(c.path("input_ids")), pixels, SamplingParams.greedy(newIds.length))),
                (request, token) -> streamed.add(token)).get(0);
        assertThat(fromUnexpanded.tokenIds()).containsExactly(newIds);
        assertThat(fromUnexpanded.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(fromUnexpanded.promptTokens()).isEqualTo(c.path("input_ids_expanded").size());
        assertThat(streamed).containsExactly(box(newIds));

        GenerationResult fromExpanded = engine.generate(List.of(new GenerationRequest(
                LlavaFixture.ints(c.path("input_ids_expanded")), pixels, SamplingParams.greedy(newIds.length))),
                TokenListener.NONE).get(0);
        assertThat(fromExpanded.tokenIds()).containsExactly(newIds);
    }

    static Stream<String> variants() {
        return LlavaFixture.VARIANTS.stream();
    }

    @ParameterizedTest
    @MethodSource("variants")
    void leftPaddedBatchMatchesEachRowAlone(String variant) {
        assertBatchMatchesEachRowAlone(fixture(variant), engine(variant));
    }

    /** Rows joining together beyond the token budget are prefilled in several passes into one KV cache. */
    @ParameterizedTest
    @MethodSource("variants")
    void batchPrefilledOneRowPerPassMatchesEachRowAlone(String variant) {
        LlavaFixture fixture = fixture(variant);
        try (LlavaEngine engine = LlavaEngine.load(fixture.modelDir(),
                new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32, null, 16, 1))) {
            assertBatchMatchesEachRowAlone(fixture, engine);
        }
    }

    private static void assertBatchMatchesEachRowAlone(LlavaFixture fixture, LlavaEngine engine) {
        JsonNode batch = fixture.caseById("batch");
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < batch.path("items").size(); i++) {
            JsonNode source = fixture.caseById(batch.path("items").get(i).path("source_case").asText());
            requests.add(new GenerationRequest(LlavaFixture.ints(source.path("input_ids")),
                    fixture.pixelsOfCase(source, "hf"), SamplingParams.greedy(batch.path("generate")
                    .path("max_new_tokens").asInt())));
        }
        List<GenerationResult> results = engine.generate(requests, TokenListener.NONE);
        for (int i = 0; i < results.size(); i++) {
            JsonNode item = batch.path("items").get(i);
            assertThat(results.get(i).tokenIds()).as("row %d", i)
                    .containsExactly(LlavaFixture.ints(item.path("new_token_ids")));
            JsonNode source = fixture.caseById(item.path("source_case").asText());
            assertThat(results.get(i).tokenIds()).as("row %d equals its unbatched ids", i)
                    .containsExactly(LlavaFixture.ints(source.path("preprocess").path("hf").path("new_token_ids")));
        }
    }

    static Stream<Arguments> processorCases() {
        List<Arguments> args = new ArrayList<>();
        for (String variant : LlavaFixture.VARIANTS) {
            for (JsonNode c : fixture(variant).cases("processor")) {
                args.add(Arguments.of(variant, c.path("id").asText()));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("processorCases")
    void logitsProcessorCaseMatchesTransformers(String variant, String caseId) {
        LlavaFixture fixture = fixture(variant);
        JsonNode c = fixture.caseById(caseId);
        JsonNode generate = c.path("generate");
        SamplingParams params = SamplingParams.greedy(generate.path("max_new_tokens").asInt())
                .withRepetitionPenalty(generate.path("repetition_penalty").asDouble(1.0))
                .withNoRepeatNgramSize(generate.path("no_repeat_ngram_size").asInt(0));
        JsonNode source = fixture.caseById(c.path("source_case").asText());
        GenerationResult result = engine(variant).generate(List.of(new GenerationRequest(
                LlavaFixture.ints(c.path("input_ids")), fixture.pixelsOfCase(source, "hf"), params)),
                TokenListener.NONE).get(0);
        assertThat(result.tokenIds()).containsExactly(LlavaFixture.ints(c.path("new_token_ids")));
        assertThat(result.tokenIds()).isNotEqualTo(LlavaFixture.ints(c.path("plain_greedy_new_token_ids")));
    }

    static void assertClose(float[] actual, float[] expected, float tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        float worst = 0;
        int worstAt = -1;
        for (int i = 0; i < actual.length; i++) {
            float diff = Math.abs(actual[i] - expected[i]);
            if (!(diff <= worst)) {
                worst = diff;
                worstAt = i;
            }
        }
        assertThat(worst).as("max |Δ| at %d", worstAt).isCloseTo(0f, within(tolerance));
    }

    static Integer[] box(int[] ids) {
        Integer[] out = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }
}
