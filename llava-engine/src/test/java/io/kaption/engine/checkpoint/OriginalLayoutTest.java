package io.kaption.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import java.nio.file.Path;
import java.util.List;
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
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny"})
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

    /** Each entry is a case id, optionally prefixed by "padsq:" for that preprocessing mode. */
    private static void assertMatchesFixture(LlavaEngine engine, LlavaFixture fixture, List<String> cases) {
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
