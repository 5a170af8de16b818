package io.kaption.engine.vision.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a checkpoint's config files and builds the {@link ImageProcessor} it was trained with. */
final class CheckpointImageConfig {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointImageConfig.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointImageConfig() {
    }

    static ImageProcessor processorFor(Path modelDir, Optional<Path> visionTowerDir) throws IOException {
        JsonNode config = readJson(modelDir.resolve("config.json"));
        Path hfPreprocessor = modelDir.resolve("preprocessor_config.json");
        ImageProcessor processor;
        if (Files.isRegularFile(hfPreprocessor)) {
            processor = huggingFace(modelDir, readJson(hfPreprocessor), config);
        } else if (config.hasNonNull("mm_vision_tower")) {
            processor = originalLlava(modelDir, config, visionTowerDir);
        } else {
            throw new IllegalArgumentException(modelDir + " has neither preprocessor_config.json (Hugging Face layout) "
                    + "nor mm_vision_tower in config.json (original LLaVA layout)");
        }
        LOG.info("image preprocessing for {}: {}", modelDir.getFileName(), processor);
        return processor;
    }

    private static ImageProcessor huggingFace(Path modelDir, JsonNode preprocessor, JsonNode config) throws IOException {
        String type = preprocessor.path("image_processor_type").asText("");
        // The fast (torchvision) variants are configured the same way; we reproduce the PIL-based slow ones.
        String base = type.endsWith("Fast") ? type.substring(0, type.length() - 4) : type;
        ClipSettings clip = ClipSettings.fromJson(preprocessor);
        int patchSize = hfPatchSize(modelDir, config);
        boolean keepCls = keepCls(config.path("vision_feature_select_strategy").asText("default"));
        switch (base) {
            case "CLIPImageProcessor":
                return new ClipImageProcessor(clip, false, patchSize, keepCls);
            case "LlavaImageProcessor":
                return new ClipImageProcessor(clip, preprocessor.path("do_pad").asBoolean(false), patchSize, keepCls);
            case "LlavaNextImageProcessor": {
                JsonNode pinpoints = preprocessor.has("image_grid_pinpoints")
                        ? preprocessor.get("image_grid_pinpoints") : config.path("image_grid_pinpoints");
                return new AnyresImageProcessor(clip, pinpoints(pinpoints, false), patchSize, true);
            }
            default:
                throw new IllegalArgumentException("unsupported image_processor_type \"" + type + "\" in "
                        + modelDir.resolve("preprocessor_config.json")
                        + " (supported: CLIPImageProcessor, LlavaImageProcessor, LlavaNextImageProcessor)");
        }
    }

    private static ImageProcessor originalLlava(Path modelDir, JsonNode config, Optional<Path> visionTowerDir)
            throws IOException {
        String towerName = config.get("mm_vision_tower").asText();
        Path tower = visionTowerDir.orElseGet(() -> localTower(modelDir, towerName));
        if (tower == null) {
            throw new IllegalArgumentException("vision tower \"" + towerName + "\" of " + modelDir
                    + " is not a local directory; pass the CLIP tower directory explicitly (--vision-tower DIR)");
        }
        ClipSettings clip = ClipSettings.fromJson(readJson(tower.resolve("preprocessor_config.json")));
        int patchSize = towerPatchSize(tower);
        String select = config.path("mm_vision_select_feature").asText("patch");
        if (!select.equals("patch") && !select.equals("cls_patch")) {
            throw new IllegalArgumentException("unsupported mm_vision_select_feature \"" + select + "\"");
        }
        String aspect = config.path("image_aspect_ratio").asText("square");
        switch (aspect) {
            case "pad":
                return new ClipImageProcessor(clip, true, patchSize, select.equals("cls_patch"));
            case "anyres": {
                String merge = config.path("mm_patch_merge_type").asText("flat");
                if (!merge.equals("spatial_unpad")) {
                    throw new IllegalArgumentException("anyres with mm_patch_merge_type \"" + merge
                            + "\" is not supported (only spatial_unpad, as LLaVA-1.6 uses)");
                }
                return new AnyresImageProcessor(clip, pinpoints(config.path("image_grid_pinpoints"), true), patchSize,
                        false);
            }
            default:
                return new ClipImageProcessor(clip, false, patchSize, select.equals("cls_patch"));
        }
    }

    private static Path localTower(Path modelDir, String towerName) {
        for (Path candidate : new Path[] {Path.of(towerName), modelDir.resolve(towerName)}) {
            if (Files.isRegularFile(candidate.resolve("preprocessor_config.json"))) {
                return candidate;
            }
        }
        return null;
    }

    private static int hfPatchSize(Path modelDir, JsonNode config) throws IOException {
        Path processorConfig = modelDir.resolve("processor_config.json");
        if (Files.isRegularFile(processorConfig)) {
            JsonNode patch = readJson(processorConfig).path("patch_size");
            if (patch.isInt()) {
                return patch.asInt();
            }
        }
        JsonNode patch = config.path("vision_config").path("patch_size");
        if (!patch.isInt()) {
            throw new IllegalArgumentException("no patch_size in " + processorConfig + " nor vision_config of config.json");
        }
        return patch.asInt();
    }

    private static int towerPatchSize(Path tower) throws IOException {
        JsonNode config = readJson(tower.resolve("config.json"));
        JsonNode patch = config.path("vision_config").has("patch_size")
                ? config.path("vision_config").path("patch_size") : config.path("patch_size");
        if (!patch.isInt()) {
            throw new IllegalArgumentException("no patch_size in " + tower.resolve("config.json"));
        }
        return patch.asInt();
    }

    private static boolean keepCls(String strategy) {
        return switch (strategy) {
            case "default" -> false;
            case "full" -> true;
            default -> throw new IllegalArgumentException("unsupported vision_feature_select_strategy \"" + strategy + "\"");
        };
    }

    /** Pinpoints as {@code {height, width}}; the original repository lists them as [width, height], sometimes as a string. */
    private static List<int[]> pinpoints(JsonNode node, boolean widthFirst) throws IOException {
        if (node.isTextual()) {
            node = JSON.readTree(node.asText().replace('(', '[').replace(')', ']'));
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("anyres needs image_grid_pinpoints, got " + node);
        }
        List<int[]> out = new ArrayList<>();
        for (JsonNode pair : node) {
            if (!pair.isArray() || pair.size() != 2) {
                throw new IllegalArgumentException("image_grid_pinpoints entry must be a pair, got " + pair);
            }
            int first = pair.get(0).asInt();
            int second = pair.get(1).asInt();
            out.add(widthFirst ? new int[] {second, first} : new int[] {first, second});
        }
        return out;
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("missing " + file);
        }
        return JSON.readTree(file.toFile());
    }
}
