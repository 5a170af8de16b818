package io.kaption.engine.vision.preprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Builds original-LLaVA-layout checkpoint directories (config.json with mm_vision_tower, a separate CLIP tower
 * directory) from the fixtures' Hugging Face configs, so the original-layout code paths run on real fixture data.
 */
final class OriginalLayoutCheckpoints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OriginalLayoutCheckpoints() {
    }

    /** LLaVA-1.5 original layout, {@code image_aspect_ratio: "pad"}. */
    static ImageProcessor padToSquare(String variant) throws IOException {
        Path dir = Files.createTempDirectory("llava-original-");
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlavaLlamaForCausalLM");
        config.put("mm_vision_tower", "openai/clip-vit-large-patch14-336");
        config.put("image_aspect_ratio", "pad");
        config.put("mm_vision_select_feature", "patch");
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        JSON.writeValue(model.resolve("config.json").toFile(), config);
        return ImageProcessor.forCheckpoint(model, Optional.of(clipTower(variant, dir)));
    }

    /** LLaVA-1.6 original layout: anyres, pinpoints written [width, height] as the LLaVA repository does. */
    static ImageProcessor anyres(String variant) throws IOException {
        Path dir = Files.createTempDirectory("llava-original-");
        ObjectNode hfConfig = (ObjectNode) JSON.readTree(LlavaFixture.modelDir(variant).resolve("config.json").toFile());
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlavaLlamaForCausalLM");
        config.put("mm_vision_tower", "openai/clip-vit-large-patch14-336");
        config.put("image_aspect_ratio", "anyres");
        config.put("mm_patch_merge_type", "spatial_unpad");
        ArrayNode pinpoints = config.putArray("image_grid_pinpoints");
        hfConfig.get("image_grid_pinpoints").forEach(hw -> pinpoints.addArray().add(hw.get(1)).add(hw.get(0)));
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        JSON.writeValue(model.resolve("config.json").toFile(), config);
        return ImageProcessor.forCheckpoint(model, Optional.of(clipTower(variant, dir)));
    }

    /** A CLIP tower directory: the variant's CLIP preprocessing settings and its vision config. */
    private static Path clipTower(String variant, Path dir) throws IOException {
        Path tower = dir.resolve("clip-tower");
        Files.createDirectories(tower);
        ObjectNode preprocessor = (ObjectNode) JSON.readTree(
                LlavaFixture.modelDir(variant).resolve("preprocessor_config.json").toFile());
        preprocessor.put("image_processor_type", "CLIPImageProcessor");
        preprocessor.remove("image_grid_pinpoints");
        JSON.writeValue(tower.resolve("preprocessor_config.json").toFile(), preprocessor);
        ObjectNode towerConfig = JSON.createObjectNode();
        towerConfig.set("vision_config",
                JSON.readTree(LlavaFixture.modelDir(variant).resolve("config.json").toFile()).get("vision_config"));
        JSON.writeValue(tower.resolve("config.json").toFile(), towerConfig);
        return tower;
    }
}
