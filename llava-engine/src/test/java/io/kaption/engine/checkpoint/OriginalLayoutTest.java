package io.kaption.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.vision.preprocess.ImageProcessor;
import io.kaption.engine.vision.preprocess.RgbImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fixtures' weights rewritten into liuhaotian/LLaVA's layout give the same logits and ids. */
class OriginalLayoutTest {

    /** liuhaotian/LLaVA's IMAGE_TOKEN_INDEX: original checkpoints mark the image with it. */
    private static final int ORIGINAL_IMAGE_TOKEN = -200;

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny", "llava15-gqa84"})
    void llava15WithSeparateClipDirectoryMatchesHfLayout(String variant) throws Exception {
        try (LlavaFixture fixture = LlavaFixture.open(variant)) {
            OriginalLayoutConverter.Converted converted =
                    OriginalLayoutConverter.convert(fixture.modelDir(), temp, null);
            try (LlavaEngine engine = LlavaEngine.load(converted.checkpoint(), LlavaEngine.Options.DEFAULTS)) {
                assertThat(engine.config().format()).isEqualTo(CheckpointFormat.ORIGINAL_LLAVA);
                assertThat(engine.config().text().modelType())
                        .isEqualTo(variant.contains("mistral") ? "mistral" : "llama");
                assertMatchesFixture(engine, fixture, List.of("square", "tall", "padsq:wide3x1"));
            }
        }
    }

    @Test
    void hubTowerNameNeedsTheOverrideAndUsesIt() throws Exception {
        try (LlavaFixture fixture = LlavaFixture.open("llava15-tiny")) {
            OriginalLayoutConverter.Converted converted = OriginalLayoutConverter.convert(fixture.modelDir(), temp,
                    "openai/clip-vit-large-patch14-336");
            assertThatThrownBy(() -> LlavaEngine.load(converted.checkpoint(), LlavaEngine.Options.DEFAULTS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("openai/clip-vit-large-patch14-336")
                    .hasMessageContaining("override");
            LlavaEngine.Options options = new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32,
                    converted.clipDirectory(), 4);
            try (LlavaEngine engine = LlavaEngine.load(converted.checkpoint(), options)) {
                assertMatchesFixture(engine, fixture, List.of("exact"));
            }
        }
    }

    @Test
    void llavaNextWithTowerInsideMatchesHfLayout() throws Exception {
        try (LlavaFixture fixture = LlavaFixture.open("llava-next-tiny")) {
            OriginalLayoutConverter.Converted converted = OriginalLayoutConverter.convert(fixture.modelDir(), temp,
                    "openai/clip-vit-large-patch14-336");
            // The tower's weights are in the checkpoint; the CLIP directory only supplies its config.json.
            assertThat(converted.clipDirectory().resolve("model.safetensors")).doesNotExist();
            LlavaEngine.Options options = new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32,
                    converted.clipDirectory(), 4);
            try (LlavaEngine engine = LlavaEngine.load(converted.checkpoint(), options)) {
                assertThat(engine.config().anyres()).isTrue();
                assertMatchesFixture(engine, fixture, List.of("square", "wide3x1", "tiny5x7"));
            }
        }
    }

    /**
     * 188×47 on the tiny NeXT grid is one of the sizes where the LLaVA repository's {@code int(x)} unpadding keeps
     * 2 feature rows and transformers' {@code int(round(x, 7))} keeps 4: each layout's engine must fill exactly as
     * many positions as its own preprocessing counts, or prompt expansion and features disagree.
     */
    @Test
    void anyresFeatureCountFollowsEachLayoutsUnpadRule() throws Exception {
        RgbImage image = RgbImage.filled(188, 47, 200, 30, 90);
        Path hfModel = LlavaFixture.modelDir("llava-next-tiny");
        OriginalLayoutConverter.Converted converted = OriginalLayoutConverter.convert(hfModel, temp,
                "openai/clip-vit-large-patch14-336");
        ObjectNode clipPreprocessor = (ObjectNode) new ObjectMapper().readTree(
                hfModel.resolve("preprocessor_config.json").toFile());
        clipPreprocessor.put("image_processor_type", "CLIPImageProcessor");
        clipPreprocessor.remove("image_grid_pinpoints");
        new ObjectMapper().writeValue(converted.clipDirectory().resolve("preprocessor_config.json").toFile(),
                clipPreprocessor);

        ImageProcessor original = ImageProcessor.forCheckpoint(converted.checkpoint(),
                Optional.of(converted.clipDirectory()));
        ImageProcessor hf = ImageProcessor.forCheckpoint(hfModel, Optional.empty());
        assertThat(original.imageTokenCount(47, 188)).isEqualTo(16 + 2 * 13);
        assertThat(hf.imageTokenCount(47, 188)).isEqualTo(16 + 4 * 13);

        try (LlavaEngine originalEngine = LlavaEngine.load(converted.checkpoint(), new LlavaEngine.Options(
                LlavaEngine.Precision.FLOAT32, converted.clipDirectory(), 1));
                LlavaEngine hfEngine = LlavaEngine.load(hfModel, LlavaEngine.Options.DEFAULTS)) {
            int hidden = hfEngine.config().text().hiddenSize();
            assertThat(originalEngine.imageFeatures(original.process(image))).hasSize(16 * hidden + 2 * 13 * hidden);
            assertThat(hfEngine.imageFeatures(hf.process(image))).hasSize(16 * hidden + 4 * 13 * hidden);
        }
    }

    /** Each entry is a case id, optionally prefixed by "padsq:" for that preprocessing mode. */
    static void assertMatchesFixture(LlavaEngine engine, LlavaFixture fixture, List<String> cases) {
        for (String entry : cases) {
            String mode = entry.startsWith("padsq:") ? "padsq" : "hf";
            JsonNode c = fixture.caseById(entry.substring(entry.indexOf(':') + 1));
            JsonNode expected = c.path("preprocess").path(mode);
            int[] ids = LlavaFixture.ints(c.path("input_ids"));
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == 32000) {
                    ids[i] = ORIGINAL_IMAGE_TOKEN;
                }
            }
            var pixels = fixture.pixelsOfCase(c, mode);
            if (expected.has("logits_last")) {
                float[] logits = engine.promptLogits(ids, pixels);
                float[] reference = fixture.tensor(expected.path("logits_last").asText()).data();
                float worst = 0;
                for (int i = 0; i < logits.length; i++) {
                    worst = Math.max(worst, Math.abs(logits[i] - reference[i]));
                }
                assertThat(worst).as("%s logits max |Δ|", entry).isLessThanOrEqualTo(1e-4f);
            }
            int[] expectedIds = LlavaFixture.ints(expected.path("new_token_ids"));
            GenerationResult result = engine.generate(List.of(new GenerationRequest(ids, pixels,
                    SamplingParams.greedy(expectedIds.length))), TokenListener.NONE).get(0);
            assertThat(result.error()).isNull();
            assertThat(result.tokenIds()).as(entry).containsExactly(expectedIds);
        }
    }
}
