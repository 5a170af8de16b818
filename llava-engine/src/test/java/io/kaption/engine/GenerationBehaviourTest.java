package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.vision.PixelValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation behaviour through the facade: sampling, stopping, per-request failures, continuous batching. */
class GenerationBehaviourTest {

    private static LlavaFixture fixture;
    private static LlavaEngine engine;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() {
        fixture = LlavaFixture.open("llava15-tiny");
        engine = LlavaEngine.load(fixture.modelDir(), LlavaEngine.Options.DEFAULTS);
    }

    @AfterAll
    static void close() {
        engine.close();
        fixture.close();
    }

    private GenerationRequest request(String caseId, SamplingParams params) {
        JsonNode c = fixture.caseById(caseId);
        return new GenerationRequest(LlavaFixture.ints(c.path("input_ids")), fixture.pixelsOfCase(c, "hf"), params);
    }

    private int[] greedyIds(String caseId) {
        return LlavaFixture.ints(fixture.caseById(caseId).path("preprocess").path("hf").path("new_token_ids"));
    }

    @Test
    void seededSamplingIsReproducibleAndActuallySamples() {
        SamplingParams sampled = SamplingParams.greedy(12).withSampling(1.0, 0, 1.0, 99);
        int[] first = engine.generate(List.of(request("square", sampled)), TokenListener.NONE).get(0).tokenIds();
        int[] again = engine.generate(List.of(request("square", sampled)), TokenListener.NONE).get(0).tokenIds();
        int[] otherSeed = engine.generate(List.of(request("square", sampled.withSampling(1.0, 0, 1.0, 100))),
                TokenListener.NONE).get(0).tokenIds();
        assertThat(first).hasSize(12).containsExactly(again);
        assertThat(first).isNotEqualTo(greedyIds("square")).isNotEqualTo(otherSeed);
    }

    @Test
    void nativeArraysStayFlatOverALongGeneration() {
        List<Integer> liveArrays = new ArrayList<>();
        int before = engine.model().manager().getManagedArrays().size();
        GenerationResult result = engine.generate(List.of(request("square", SamplingParams.greedy(60))),
                (request, token) -> liveArrays.add(engine.model().manager().getManagedArrays().size())).get(0);
        assertThat(result.tokenIds()).hasSize(60);
        assertThat(liveArrays.subList(1, 60)).containsOnly(liveArrays.get(1));
        assertThat(engine.model().manager().getManagedArrays()).hasSize(before);
    }

    @Test
    void float16ComputeTracksFloat32() {
        JsonNode c = fixture.caseById("square");
        float[] reference = fixture.tensor(c.path("preprocess").path("hf").path("logits_last").asText()).data();
        try (LlavaEngine half = LlavaEngine.load(fixture.modelDir(),
                new LlavaEngine.Options(LlavaEngine.Precision.FLOAT16, null, 4))) {
            float[] logits = half.promptLogits(LlavaFixture.ints(c.path("input_ids")), fixture.pixelsOfCase(c, "hf"));
            float worst = 0;
            float largest = 0;
            for (int i = 0; i < logits.length; i++) {
                worst = Math.max(worst, Math.abs(logits[i] - reference[i]));
                largest = Math.max(largest, Math.abs(reference[i]));
            }
            assertThat(worst).isGreaterThan(0f).isLessThan(largest * 0.01f);
            GenerationResult result = half.generate(List.of(request("square", SamplingParams.greedy(4))),
                    TokenListener.NONE).get(0);
            assertThat(result.tokenIds()).hasSize(4);
        }
    }

    @Test
    void topKOneIsGreedy() {
        SamplingParams topK1 = SamplingParams.greedy(12).withSampling(0.7, 1, 0.9, 5);
        assertThat(engine.generate(List.of(request("tall", topK1)), TokenListener.NONE).get(0).tokenIds())
                .containsExactly(greedyIds("tall"));
    }

    @Test
    void badRequestsFailAloneAndTheOthersGoOn() {
        JsonNode square = fixture.caseById("square");
        int[] ids = LlavaFixture.ints(square.path("input_ids"));
        PixelValues wrongSize = new PixelValues(new float[3 * 28 * 28], 1, 28, 28, 28, 0, 0);
        List<GenerationRequest> requests = List.of(
                request("square", SamplingParams.greedy(12).withPromptMaxTokens(10)),
                request("tall", SamplingParams.greedy(12)),
                new GenerationRequest(ids, wrongSize, SamplingParams.greedy(12)),
                new GenerationRequest(ids, List.of(), SamplingParams.greedy(12)),
                request("square", SamplingParams.greedy(12).withPromptMaxTokens(200)));
        List<GenerationResult> finished = new ArrayList<>(Arrays.asList(new GenerationResult[5]));
        List<GenerationResult> results = engine.generate(requests, new TokenListener() {
            @Override
            public void onToken(int request, int token) {}

            @Override
            public void onFinish(int request, GenerationResult result) {
                finished.set(request, result);
            }
        });
        assertThat(results.get(0).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(results.get(0).error()).contains("prompt_max_tokens 10").contains("has 35 tokens");
        assertThat(results.get(1).tokenIds()).containsExactly(greedyIds("tall"));
        assertThat(results.get(2).error()).contains("28 px").contains("56 px");
        assertThat(results.get(3).error()).contains("no image");
        assertThat(results.get(4).tokenIds()).containsExactly(greedyIds("square"));
        assertThat(results.get(4).finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(finished).containsExactlyElementsOf(results);
    }

    @Test
    void requestsJoinARunningBatchAsRowsFinish() {
        try (LlavaEngine twoRows = LlavaEngine.load(fixture.modelDir(),
                new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32, null, 2))) {
            Map<Integer, List<Integer>> streamed = new HashMap<>();
            List<GenerationResult> results = twoRows.generate(List.of(
                            request("square", SamplingParams.greedy(12)),
                            request("tall", SamplingParams.greedy(3)),
                            request("tiny5x7", SamplingParams.greedy(12)),
                            request("gray", SamplingParams.greedy(5))),
                    (request, token) -> streamed.computeIfAbsent(request, r -> new ArrayList<>()).add(token));
            assertThat(results.get(0).tokenIds()).containsExactly(greedyIds("square"));
            assertThat(results.get(1).tokenIds()).containsExactly(Arrays.copyOf(greedyIds("tall"), 3));
            assertThat(results.get(2).tokenIds()).containsExactly(greedyIds("tiny5x7"));
            assertThat(results.get(3).tokenIds()).containsExactly(Arrays.copyOf(greedyIds("gray"), 5));
            for (int r = 0; r < 4; r++) {
                assertThat(streamed.get(r)).containsExactly(FixtureParityTest.box(results.get(r).tokenIds()));
            }
        }
    }

    @Test
    void textOnlyRowsDecodeTheSameAloneAndBesideImageRows() {
        int[] textOnly = {1, 3148, 1001, 29901, 1724, 338, 263, 6635, 29973, 319, 1799, 9047, 13566, 29901};
        GenerationRequest text = new GenerationRequest(textOnly, List.of(), SamplingParams.greedy(8));
        int[] alone = engine.generate(List.of(text), TokenListener.NONE).get(0).tokenIds();
        List<GenerationResult> mixed = engine.generate(
                List.of(request("square", SamplingParams.greedy(12)), text), TokenListener.NONE);
        assertThat(alone).hasSize(8);
        assertThat(mixed.get(1).tokenIds()).containsExactly(alone);
        assertThat(mixed.get(0).tokenIds()).containsExactly(greedyIds("square"));
    }

    @Test
    void minNewTokensHoldsBackEosAndEosStopsOtherwise() throws Exception {
        int[] greedy = greedyIds("square");
        Path model = copyModel(temp.resolve("eos"), config -> {}, generation -> generation.putArray("eos_token_id")
                .add(2).add(greedy[2]));
        try (LlavaEngine eosEngine = LlavaEngine.load(model, LlavaEngine.Options.DEFAULTS)) {
            GenerationResult stopped = eosEngine.generate(List.of(request("square", SamplingParams.greedy(12))),
                    TokenListener.NONE).get(0);
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.EOS);
            assertThat(stopped.tokenIds()).containsExactly(greedy[0], greedy[1], greedy[2]);

            GenerationResult held = eosEngine.generate(List.of(request("square",
                    SamplingParams.greedy(12).withMinNewTokens(4))), TokenListener.NONE).get(0);
            assertThat(held.tokenIds()).hasSizeGreaterThanOrEqualTo(4).startsWith(greedy[0], greedy[1]);
            assertThat(held.tokenIds()[2]).isNotEqualTo(greedy[2]);
        }
    }

    @Test
    void mistralSlidingWindowIsHonouredAndBatchesStillAgree() throws Exception {
        try (LlavaFixture mistral = LlavaFixture.open("llava-mistral-tiny")) {
            Path model = copyModel(mistral.modelDir(), temp.resolve("window"),
                    config -> ((ObjectNode) config.get("text_config")).put("sliding_window", 8), generation -> {});
            JsonNode square = mistral.caseById("square");
            JsonNode tall = mistral.caseById("tall");
            GenerationRequest first = new GenerationRequest(LlavaFixture.ints(square.path("input_ids")),
                    mistral.pixelsOfCase(square, "hf"), SamplingParams.greedy(12));
            GenerationRequest second = new GenerationRequest(LlavaFixture.ints(tall.path("input_ids")),
                    mistral.pixelsOfCase(tall, "hf"), SamplingParams.greedy(12));
            try (LlavaEngine windowed = LlavaEngine.load(model, LlavaEngine.Options.DEFAULTS)) {
                assertThat(windowed.config().text().slidingWindow()).isEqualTo(8);
                int[] alone = windowed.generate(List.of(first), TokenListener.NONE).get(0).tokenIds();
                int[] aloneSecond = windowed.generate(List.of(second), TokenListener.NONE).get(0).tokenIds();
                List<GenerationResult> batched = windowed.generate(List.of(first, second), TokenListener.NONE);
                assertThat(alone).isNotEqualTo(
                        LlavaFixture.ints(square.path("preprocess").path("hf").path("new_token_ids")));
                assertThat(batched.get(0).tokenIds()).containsExactly(alone);
                assertThat(batched.get(1).tokenIds()).containsExactly(aloneSecond);
            }
        }
    }

    private interface JsonEdit {
        void apply(ObjectNode node) throws Exception;
    }

    private Path copyModel(Path target, JsonEdit config, JsonEdit generation) throws Exception {
        return copyModel(fixture.modelDir(), target, config, generation);
    }

    private static Path copyModel(Path source, Path target, JsonEdit config, JsonEdit generation) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(target);
        Files.copy(source.resolve("model.safetensors"), target.resolve("model.safetensors"));
        ObjectNode configJson = (ObjectNode) json.readTree(source.resolve("config.json").toFile());
        config.apply(configJson);
        json.writeValue(target.resolve("config.json").toFile(), configJson);
        ObjectNode generationJson = (ObjectNode) json.readTree(source.resolve("generation_config.json").toFile());
        generation.apply(generationJson);
        json.writeValue(target.resolve("generation_config.json").toFile(), generationJson);
        return target;
    }
}
