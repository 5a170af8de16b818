package io.kaption.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.weights.SafetensorsFile;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One variant of the golden fixtures (see fixtures/llava/FORMAT.md): cases.json, tensors, model dir. */
public final class LlavaFixture implements AutoCloseable {

    public static final List<String> VARIANTS = List.of("llava15-tiny", "llava-mistral-tiny", "llava-next-tiny");

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
        try {
            Path directory = Path.of(LlavaFixture.class.getResource("/fixtures/llava/" + variant + "/cases.json")
                    .toURI()).getParent();
            JsonNode cases = new ObjectMapper().readTree(directory.resolve("cases.json").toFile());
            return new LlavaFixture(variant, directory, cases, SafetensorsFile.open(directory.resolve("tensors.safetensors")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public String variant() {
        return variant;
    }

    public Path modelDir() {
        return directory.resolve("model");
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
        int[] best = bestResolution(originalHeight, originalWidth, pinpoints());
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

    /** transformers' select_best_resolution, pinpoints as [height, width]. */
    static int[] bestResolution(int height, int width, List<int[]> pinpoints) {
        int[] best = null;
        long maxEffective = 0;
        long minWasted = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            double scale = Math.min((double) p[1] / width, (double) p[0] / height);
            long downW = (long) (width * scale);
            long downH = (long) (height * scale);
            long effective = Math.min(downW * downH, (long) width * height);
            long wasted = (long) p[0] * p[1] - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted)) {
                best = p;
                maxEffective = effective;
                minWasted = wasted;
            }
        }
        return best;
    }

    @Override
    public void close() {
        tensors.close();
    }
}
