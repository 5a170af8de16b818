package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LLaVA-NeXT geometry at the real 336-px LLaVA-1.6 configuration. */
class AnyresTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tokenCountsMatchTransformersForManyImageSizes(@TempDir Path model) throws IOException {
        JsonNode reference = JSON.readTree(ReferenceImages.dir().resolve("sizes/counts336.json").toFile());
        Files.writeString(model.resolve("preprocessor_config.json"), "{\"image_processor_type\": \"LlavaNextImageProcessor\", "
                + "\"size\": {\"shortest_edge\": 336}, \"crop_size\": {\"height\": 336, \"width\": 336}, "
                + "\"image_grid_pinpoints\": " + reference.get("pinpoints_hw") + "}");
        Files.writeString(model.resolve("config.json"), "{\"vision_config\": {\"patch_size\": 14}}");
        ImageProcessor processor = ImageProcessor.forCheckpoint(model, Optional.empty());

        assertThat(reference.get("counts").size()).isGreaterThan(100);
        for (JsonNode c : reference.get("counts")) {
            assertThat(processor.imageTokenCount(c.get("height").asInt(), c.get("width").asInt()))
                    .as("%dx%d", c.get("height").asInt(), c.get("width").asInt())
                    .isEqualTo(c.get("num_image_tokens").asInt());
        }
    }

    @Test
    void bestResolutionPrefersEffectivePixelsThenLeastWaste() {
        List<int[]> pinpoints = List.of(new int[] {336, 672}, new int[] {672, 336}, new int[] {672, 672},
                new int[] {1008, 336}, new int[] {336, 1008});
        // A small image fits every pinpoint whole: the least wasted area wins, the first on ties.
        assertThat(Anyres.selectBestResolution(100, 100, pinpoints)).containsExactly(336, 672);
        assertThat(Anyres.selectBestResolution(1000, 1000, pinpoints)).containsExactly(672, 672);
        assertThat(Anyres.selectBestResolution(300, 1000, pinpoints)).containsExactly(336, 1008);
        assertThat(Anyres.fitInside(300, 1000, 336, 1008)).containsExactly(303, 1008);
    }

    @Test
    void unpaddingRoundsLikeTransformersOrTruncatesLikeTheLlavaRepository() {
        assertThat(Anyres.unpaddedGrid(100, 100, 2, 2, 24, true)).containsExactly(48, 48);
        assertThat(Anyres.unpaddedGrid(50, 150, 1, 3, 4, true)).containsExactly(4, 12);
        // 55 * (24 / 88) = 14.999999999999998: transformers rounds it to 15 rows (padding 4), the LLaVA repo
        // truncates to 14 (padding 5).
        assertThat(55 * (24.0 / 88)).isLessThan(15.0);
        assertThat(Anyres.unpaddedGrid(55, 88, 1, 1, 24, true)).containsExactly(16, 24);
        assertThat(Anyres.unpaddedGrid(55, 88, 1, 1, 24, false)).containsExactly(14, 24);
        assertThat(Anyres.imageTokenCount(55, 88, 1, 1, 24, true)).isEqualTo(576 + 16 * 25);
    }
}
