package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.LlavaFixture.CaseRef;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** pixel_values of every single-image fixture case, for each preprocessing mode, against transformers' output. */
class FixturePixelValuesTest {

    /**
     * The extra fixtures were made with transformers 5, whose {@code CLIPImageProcessor} / {@code
     * LlavaNextImageProcessor} resize with torchvision rather than Pillow (the PIL processors are the {@code *Pil}
     * classes there, which {@code OtherSizesTest} matches bit for bit). Torchvision's bicubic differs from Pillow's by
     * at most one 8-bit level, i.e. 1/255 divided by the smallest CLIP std after normalisation.
     */
    private static final double ONE_LEVEL = 1 / 255.0 / 0.26130258 + 1e-6;

    private static double tolerance(String variant) {
        return LlavaFixture.EXTRA_VARIANTS.contains(variant) ? ONE_LEVEL : 1e-6;
    }

    static Stream<Arguments> casesAndModes() {
        return LlavaFixture.casesOfKind("single").flatMap(c -> {
            Stream.Builder<Arguments> modes = Stream.builder();
            c.json().get("preprocess").fieldNames().forEachRemaining(mode -> modes.add(Arguments.of(c, mode)));
            return modes.build();
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesAndModes")
    void pixelValuesMatchTransformers(CaseRef ref, String mode) throws IOException {
        JsonNode c = ref.json();
        ImageProcessor processor = mode.equals("padsq")
                ? OriginalLayoutCheckpoints.padToSquare(ref.variant())
                : ImageProcessor.forCheckpoint(LlavaFixture.modelDir(ref.variant()), Optional.empty());
        byte[] png = Files.readAllBytes(LlavaFixture.variantDir(ref.variant()).resolve(c.get("image").asText()));

        PixelValues actual = processor.process(png);

        Tensor expected = tensor(ref.variant(), c.get("preprocess").get(mode).get("pixel_values").asText());
        long expectedPatches = expected.shape().length == 4 ? expected.shape()[0] : 1;
        assertThat(actual.patches()).isEqualTo(expectedPatches);
        assertThat(actual.size()).isEqualTo(expected.shape()[expected.shape().length - 1]);
        assertThat(actual.originalWidth()).isEqualTo(c.get("image_size_wh").get(0).asInt());
        assertThat(actual.originalHeight()).isEqualTo(c.get("image_size_wh").get(1).asInt());
        assertThat(maxAbsDiff(actual.data(), expected.data())).isLessThanOrEqualTo(tolerance(ref.variant()));
        if (c.has("num_image_tokens")) {
            assertThat(processor.imageTokenCount(actual.originalHeight(), actual.originalWidth()))
                    .isEqualTo(c.get("num_image_tokens").asInt());
        }
    }

    static Stream<CaseRef> llavaNextCases() {
        return LlavaFixture.casesOfKind("single").filter(c -> c.json().get("preprocess").get("hf").has("num_patches"));
    }

    /** The original LLaVA-1.6 layout (pinpoints listed [width, height]) preprocesses exactly like llava-hf's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("llavaNextCases")
    void originalAnyresLayoutMatchesTransformers(CaseRef ref) throws IOException {
        JsonNode c = ref.json();
        ImageProcessor processor = OriginalLayoutCheckpoints.anyres(ref.variant());
        byte[] png = Files.readAllBytes(LlavaFixture.variantDir(ref.variant()).resolve(c.get("image").asText()));

        PixelValues actual = processor.process(png);

        Tensor expected = tensor(ref.variant(), c.get("preprocess").get("hf").get("pixel_values").asText());
        assertThat(actual.patches()).isEqualTo(c.get("preprocess").get("hf").get("num_patches").asInt());
        assertThat(maxAbsDiff(actual.data(), expected.data())).isLessThanOrEqualTo(tolerance(ref.variant()));
        assertThat(processor.imageTokenCount(actual.originalHeight(), actual.originalWidth()))
                .isEqualTo(c.get("num_image_tokens").asInt());
    }

    private static Tensor tensor(String variant, String name) {
        try (LlavaFixture fixture = LlavaFixture.open(variant)) {
            return fixture.tensor(name);
        }
    }

    static double maxAbsDiff(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs((double) actual[i] - expected[i]));
        }
        return max;
    }
}
