package io.kaption.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.vision.preprocess.Anyres;
import io.kaption.engine.weights.SafetensorsFile;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One variant of the golden fixtures (see fixtures/llava/FORMAT.md): cases.json, tensors (read with the production
 * {@link SafetensorsFile}), model dir. The only fixture reader of the tests.
 */
public final class LlavaFixture implements AutoCloseable {

    /** The public fixtures, under {@code fixtures/llava}. */
    public static final List<String> PUBLIC_VARIANTS = List.of("llava15-tiny", "llava-mistral-tiny", "llava-next-tiny");
    /** Other shapes and stored dtypes (BF16, sharded F16), under {@code fixtures/llava-extra}. */
    public static final List<String> EXTRA_VARIANTS = List.of("llava15-gqa84", "llava-next-mistral42");
    public static final List<String> VARIANTS = Stream.concat(PUBLIC_VARIANTS.stream(), EXTRA_VARIANTS.stream()).toList();

    private final String variant;
    private final Path directory;
    private final JsonNode cases;
    private final SafetensorsFile tensors;

    private LlavaFixture(String variant, Path directory, JsonNode cases, SafetensorsFile tensors) {
        this.variant = variant;
        this.directory = directory;
        this.cases = cases;
        this.tensors = tensors;
    }

    public static LlavaFixture open(String variant) {
        Path directory = variantDir(variant);
        return new LlavaFixture(variant, directory, casesJson(variant),
                SafetensorsFile.open(directory.resolve("tensors.safetensors")));
    }

    /** The variant's directory (cases.json, images/, model/, tensors.safetensors). */
    public static Path variantDir(String variant) {
        String root = EXTRA_VARIANTS.contains(variant) ? "llava-extra" : "llava";
        URL url = LlavaFixture.class.getResource("/fixtures/" + root + "/" + variant + "/cases.json");
        if (url == null) {
            throw new IllegalArgumentException("no fixture variant " + variant + " on the test classpath");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path modelDir(String variant) {
        return variantDir(variant).resolve("model");
    }

    /** The variant's cases.json, without opening its tensors. */
    public static JsonNode casesJson(String variant) {
        try {
            return new ObjectMapper().readTree(variantDir(variant).resolve("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The variant's conversations.json (several images, several turns), or a missing node if it has none. */
    public static JsonNode conversationsJson(String variant) {
        Path file = variantDir(variant).resolve("conversations.json");
        try {
            return Files.isRegularFile(file) ? new ObjectMapper().readTree(file.toFile())
                    : new ObjectMapper().missingNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every case of every variant whose kind is in {@code kinds}. */
    public static Stream<CaseRef> casesOfKind(String... kinds) {
        List<CaseRef> out = new ArrayList<>();
        for (String variant : VARIANTS) {
            for (JsonNode c : casesJson(variant).path("cases")) {
                if (List.of(kinds).contains(c.path("kind").asText())) {
                    out.add(new CaseRef(variant, c));
                }
            }
        }
        return out.stream();
    }

    /** A case of one variant. */
    public record CaseRef(String variant, JsonNode json) {
        public String id() {
            return json.path("id").asText();
        }

        @Override
        public String toString() {
            return variant + "/" + id();
        }
    }

    public String variant() {
        return variant;
    }

    public Path modelDir() {
        return directory.resolve("model");
    }

    /** A file of the variant, e.g. a case's {@code image} path. */
    public Path file(String relativePath) {
        return directory.resolve(relativePath);
    }

    public boolean isNext() {
        return cases.path("arch").asText().equals("llava_next");
    }

    public JsonNode caseById(String id) {
        for (JsonNode c : cases.path("cases")) {
            if (c.path("id").asText().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException(variant + " has no case " + id);
    }

    public List<JsonNode> cases(String kind) {
        List<JsonNode> result = new ArrayList<>();
        cases.path("cases").forEach(c -> {
            if (c.path("kind").asText().equals(kind)) {
                result.add(c);
            }
        });
        return result;
    }

    public Tensor tensor(String name) {
        return tensors.load(name);
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** The fixture's pixel_values as the preprocessing hand-over; {@code sizeHw} only matters for NeXT. */
    public PixelValues pixels(String tensorName, int originalHeight, int originalWidth) {
        Tensor t = tensor(tensorName);
        if (!isNext()) {
            return new PixelValues(t.data(), 1, t.dim(-1), originalHeight, originalWidth, 0, 0);
        }
        int size = t.dim(-1);
        int[] best = Anyres.selectBestResolution(originalHeight, originalWidth, pinpoints());
        return new PixelValues(t.data(), t.dim(0), size, originalHeight, originalWidth, best[0] / size,
                best[1] / size);
    }

    /** The pixel values of a single case in a mode, with the case's original image size. */
    public PixelValues pixelsOfCase(JsonNode singleCase, String mode) {
        int width = singleCase.path("image_size_wh").get(0).asInt();
        int height = singleCase.path("image_size_wh").get(1).asInt();
        return pixels(singleCase.path("preprocess").path(mode).path("pixel_values").asText(), height, width);
    }

    private List<int[]> pinpoints() {
        try {
            JsonNode config = new ObjectMapper().readTree(modelDir().resolve("config.json").toFile());
            List<int[]> result = new ArrayList<>();
            config.path("image_grid_pinpoints").forEach(p -> result.add(new int[] {p.get(0).asInt(), p.get(1).asInt()}));
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        tensors.close();
    }
}
