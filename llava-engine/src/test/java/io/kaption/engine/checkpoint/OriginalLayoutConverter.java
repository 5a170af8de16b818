package io.kaption.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.weights.SafetensorsFile;
import io.kaption.engine.weights.SafetensorsWriter;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Rewrites a llava-hf checkpoint into liuhaotian/LLaVA's layout (what Takeoff loads): flat Llama/Mistral config
 * with {@code mm_*} fields, {@code model.*} / {@code lm_head} / {@code model.mm_projector.{0,2}} names; LLaVA-1.5
 * gets a separate HF CLIPVisionModel directory, LLaVA-NeXT keeps the tower inside
 * ({@code model.vision_tower.vision_tower.*}) plus {@code model.image_newline}.
 */
final class OriginalLayoutConverter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the converted parts went. */
    record Converted(Path checkpoint, Path clipDirectory) {}

    private OriginalLayoutConverter() {}

    /**
     * @param towerName value written to {@code mm_vision_tower}; null writes the CLIP directory's absolute path
     */
    static Converted convert(Path hfModel, Path out, String towerName) throws IOException {
        JsonNode hf = JSON.readTree(hfModel.resolve("config.json").toFile());
        boolean next = hf.path("architectures").get(0).asText().equals("LlavaNextForConditionalGeneration");
        JsonNode text = hf.path("text_config");
        boolean mistral = text.path("model_type").asText().equals("mistral");
        Path checkpoint = Files.createDirectories(out.resolve(next ? "llava-v1.6" : "llava-v1.5"));
        Path clip = Files.createDirectories(out.resolve("clip-vit"));

        ObjectNode config = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = text.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            config.set(field.getKey(), field.getValue());
        }
        config.putArray("architectures").add(mistral ? "LlavaMistralForCausalLM" : "LlavaLlamaForCausalLM");
        config.put("model_type", mistral ? "llava_mistral" : "llava_llama");
        config.put("mm_vision_tower", towerName != null ? towerName : clip.toAbsolutePath().toString());
        config.put("mm_hidden_size", hf.path("vision_config").path("hidden_size").asInt());
        config.put("mm_projector_type", "mlp2x_gelu");
        config.put("mm_vision_select_layer", hf.path("vision_feature_layer").asInt());
        config.put("mm_vision_select_feature", "patch");
        config.put("mm_use_im_start_end", false);
        config.put("image_aspect_ratio", next ? "anyres" : "pad");
        config.put("mm_patch_merge_type", next ? "spatial_unpad" : "flat");
        if (next) {
            // The LLaVA repository writes pinpoints [width, height]; transformers writes [height, width].
            ArrayNode pinpoints = config.putArray("image_grid_pinpoints");
            hf.path("image_grid_pinpoints").forEach(hw -> pinpoints.addArray().add(hw.get(1)).add(hw.get(0)));
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(checkpoint.resolve("config.json").toFile(), config);
        Files.copy(hfModel.resolve("generation_config.json"), checkpoint.resolve("generation_config.json"));

        ObjectNode clipConfig = ((ObjectNode) hf.path("vision_config").deepCopy());
        clipConfig.putArray("architectures").add("CLIPVisionModel");
        JSON.writerWithDefaultPrettyPrinter().writeValue(clip.resolve("config.json").toFile(), clipConfig);

        Map<String, Tensor> main = new HashMap<>();
        Map<String, Tensor> tower = new HashMap<>();
        try (SafetensorsFile source = SafetensorsFile.open(hfModel.resolve("model.safetensors"))) {
            for (String name : source.names()) {
                Tensor tensor = source.load(name);
                if (name.startsWith("vision_tower.")) {
                    String inTower = name.substring("vision_tower.".length());
                    // transformers 5 saves the tower without its vision_model level; CLIP directories have it
                    if (!inTower.startsWith("vision_model.")) {
                        inTower = "vision_model." + inTower;
                    }
                    if (next) {
                        main.put("model.vision_tower.vision_tower." + inTower, tensor);
                    } else {
                        tower.put(inTower, tensor);
                    }
                } else if (name.startsWith("language_model.")) {
                    main.put(name.substring("language_model.".length()), tensor);
                } else if (name.startsWith("multi_modal_projector.")) {
                    main.put(name.replace("multi_modal_projector.linear_1.", "model.mm_projector.0.")
                            .replace("multi_modal_projector.linear_2.", "model.mm_projector.2."), tensor);
                } else if (name.equals("image_newline")) {
                    main.put("model.image_newline", tensor);
                } else {
                    throw new IllegalStateException("unexpected tensor " + name);
                }
            }
        }
        SafetensorsWriter.writeSharded(checkpoint, main, Map.of(), 2);
        if (!tower.isEmpty()) {
            SafetensorsWriter.write(clip.resolve("model.safetensors"), tower, Map.of());
        }
        return new Converted(checkpoint, clip);
    }
}
