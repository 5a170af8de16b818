package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.testing.FixtureTensors;
import io.kaption.engine.testing.LlavaFixtures;
import io.kaption.engine.testing.LlavaFixtures.CaseRef;
import io.kaption.engine.vision.PixelValues;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** pixel_values of every single-image fixture case, for each preprocessing mode, against transformers' output. */
class FixturePixelValuesTest {

    static Stream<Arguments> casesAndModes() {
        return LlavaFixtures.casesOfKind("single").flatMap(c -> {
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
                : ImageProcessor.forCheckpoint(LlavaFixtures.modelDir(ref.variant()), Optional.empty());
        byte[] png = Files.readAllBytes(LlavaFixtures.variantDir(ref.variant()).resolve(c.get("image").asText()));

        PixelValues actual = processor.process(png);

        FixtureTensors.Tensor expected = LlavaFixtures.tensors(ref.variant())
                .get(c.get("preprocess").get(mode).get("pixel_values").asText());
        long expectedPatches = expected.shape().length == 4 ? expected.shape()[0] : 1;
        assertThat(actual.patches()).isEqualTo(expectedPatches);
        assertThat(actual.size()).isEqualTo(expected.shape()[expected.shape().length - 1]);
        assertThat(actual.originalWidth()).isEqualTo(c.get("image_size_wh").get(0).asInt());
        assertThat(actual.originalHeight()).isEqualTo(c.get("image_size_wh").get(1).asInt());
        assertThat(maxAbsDiff(actual.data(), expected.values())).isLessThanOrEqualTo(1e-6);
        if (c.has("num_image_tokens")) {
            assertThat(processor.imageTokenCount(actual.originalHeight(), actual.originalWidth()))
                    .isEqualTo(c.get("num_image_tokens").asInt());
        }
    }

    static Stream<CaseRef> llavaNextCases() {
        return LlavaFixtures.casesOfKind("single").filter(c -> c.variant().equals("llava-next-tiny"));
    }

    /** The original LLaVA-1.6 layout (pinpoints listed [width, height]) preprocesses exactly like llava-hf's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("llavaNextCases")
    void originalAnyresLayoutMatchesTransformers(CaseRef ref) throws IOException {
        JsonNode c = ref.json();
        ImageProcessor processor = OriginalLayoutCheckpoints.anyres(ref.variant());
        byte[] png = Files.readAllBytes(LlavaFixtures.variantDir(ref.variant()).resolve(c.get("image").asText()));

        PixelValues actual = processor.process(png);

        FixtureTensors.Tensor expected = LlavaFixtures.tensors(ref.variant())
                .get(c.get("preprocess").get("hf").get("pixel_values").asText());
        assertThat(actual.patches()).isEqualTo(c.get("preprocess").get("hf").get("num_patches").asInt());
        assertThat(maxAbsDiff(actual.data(), expected.values())).isLessThanOrEqualTo(1e-6);
        assertThat(processor.imageTokenCount(actual.originalHeight(), actual.originalWidth()))
                .isEqualTo(c.get("num_image_tokens").asInt());
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
