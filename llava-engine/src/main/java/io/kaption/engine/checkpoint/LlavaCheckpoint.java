package io.kaption.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.weights.Tensor;
import io.kaption.engine.weights.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LLaVA checkpoint directory: its {@link LlavaConfig} and its tensors, addressed by the llava-hf "legacy" names
 * listed in the fixtures' FORMAT.md (e.g. {@code language_model.model.layers.0.self_attn.q_proj.weight}) whatever
 * names the files actually use.
 */
public final class LlavaCheckpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlavaCheckpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** liuhaotian/LLaVA marks the image position with this id (IMAGE_TOKEN_INDEX in llava/constants.py). */
    private static final int ORIGINAL_IMAGE_TOKEN_ID = -200;
    private static final String ORIGINAL_TOWER_PREFIX = "model.vision_tower.vision_tower.";

    private final LlavaConfig config;
    private final TensorSource weights;
    /** Separate CLIP directory of an original LLaVA-1.5 checkpoint, else null. */
    private final TensorSource towerWeights;

    private LlavaCheckpoint(LlavaConfig config, TensorSource weights, TensorSource towerWeights) {
        this.config = config;
        this.weights = weights;
        this.towerWeights = towerWeights;
    }

    /**
     * Opens a checkpoint directory.
     *
     * @param visionTowerOverride CLIP directory to use instead of the one named by {@code mm_vision_tower}
     *                            (original layouts only); may be null
     */
    public static LlavaCheckpoint open(Path directory, Path visionTowerOverride) {
        JsonNode root = readJson(directory.resolve("config.json"));
        List<Integer> eos = eosTokenIds(directory, root);
        CheckpointFormat format = detectFormat(root);
        TensorSource weights = TensorSource.open(directory);
        try {
            if (format != CheckpointFormat.ORIGINAL_LLAVA) {
                return new LlavaCheckpoint(hfConfig(format, root, eos), weights, null);
            }
            boolean towerInside = weights.contains(
                    ORIGINAL_TOWER_PREFIX + "vision_model.embeddings.patch_embedding.weight");
            Optional<Path> towerDir = towerDirectory(directory, root, visionTowerOverride);
            if (!towerInside && towerDir.isEmpty()) {
                throw new IllegalArgumentException(directory + ": the CLIP tower named by mm_vision_tower ("
                        + root.path("mm_vision_tower").asText() + ") is not a local directory; pass its path as "
                        + "the vision tower override");
            }
            TensorSource tower = towerInside ? null : TensorSource.open(towerDir.get());
            VisionConfig vision = towerDir.isPresent()
                    ? clipConfig(readJson(towerDir.get().resolve("config.json")))
                    : root.has("vision_config") ? clipConfig(root.get("vision_config"))
                    : inferVisionConfig(weights);
            return new LlavaCheckpoint(originalConfig(root, vision, eos), weights, tower);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    public LlavaConfig config() {
        return config;
    }

    public Tensor tensor(String name) {
        Located located = locate(name);
        if (located == null) {
            throw new IllegalArgumentException(weights.directory() + ": checkpoint has no tensor for " + name
                    + " (tried " + candidates(name) + ")");
        }
        return located.source.load(located.name);
    }

    private record Located(TensorSource source, String name) {}

    private Located locate(String name) {
        if (towerWeights != null && name.startsWith("vision_tower.")) {
            String inTower = name.substring("vision_tower.".length());
            return towerWeights.contains(inTower) ? new Located(towerWeights, inTower) : null;
        }
        for (String candidate : candidates(name)) {
            if (weights.contains(candidate)) {
                return new Located(weights, candidate);
            }
        }
        return null;
    }

    /** File names that may hold the tensor called {@code name} in llava-hf's legacy layout. */
    private List<String> candidates(String name) {
        List<String> names = new ArrayList<>();
        if (config.format() == CheckpointFormat.ORIGINAL_LLAVA) {
            if (name.startsWith("language_model.")) {
                names.add(name.substring("language_model.".length()));
            } else if (name.startsWith("vision_tower.")) {
                names.add(ORIGINAL_TOWER_PREFIX + name.substring("vision_tower.".length()));
            } else if (name.startsWith("multi_modal_projector.")) {
                names.add(name.replace("multi_modal_projector.linear_1.", "model.mm_projector.0.")
                        .replace("multi_modal_projector.linear_2.", "model.mm_projector.2."));
            } else if (name.equals("image_newline")) {
                names.add("model.image_newline");
            }
            return names;
        }
        names.add(name);
        // transformers >= 4.52 writes model.language_model.*, model.vision_tower.*, model.multi_modal_projector.*
        if (name.startsWith("language_model.model.")) {
            names.add("model.language_model." + name.substring("language_model.model.".length()));
        } else if (name.startsWith("language_model.lm_head.")) {
            names.add(name.substring("language_model.".length()));
        } else {
            names.add("model." + name);
        }
        // transformers 5 saves the CLIP tower without its vision_model wrapper: vision_tower.embeddings.* etc.
        String towerWrapper = "vision_tower.vision_model.";
        if (name.startsWith(towerWrapper)) {
            String unwrapped = "vision_tower." + name.substring(towerWrapper.length());
            names.add(unwrapped);
            names.add("model." + unwrapped);
        }
        return names;
    }

    @Override
    public void close() {
        weights.close();
        if (towerWeights != null) {
            towerWeights.close();
        }
    }

    // ---- format detection and configuration ----

    static CheckpointFormat detectFormat(JsonNode root) {
        List<String> architectures = new ArrayList<>();
        root.path("architectures").forEach(a -> architectures.add(a.asText()));
        if (architectures.contains("LlavaNextForConditionalGeneration")) {
            return CheckpointFormat.HF_LLAVA_NEXT;
        }
        if (architectures.contains("LlavaForConditionalGeneration")) {
            return CheckpointFormat.HF_LLAVA;
        }
        boolean original = architectures.contains("LlavaLlamaForCausalLM")
                || architectures.contains("LlavaMistralForCausalLM");
        if (original && root.hasNonNull("mm_vision_tower")) {
            return CheckpointFormat.ORIGINAL_LLAVA;
        }
        throw new IllegalArgumentException("not a supported LLaVA checkpoint: architectures " + architectures
                + (original ? " without mm_vision_tower" : ""));
    }

    private static LlavaConfig hfConfig(CheckpointFormat format, JsonNode root, List<Integer> eos) {
        JsonNode featureLayer = root.path("vision_feature_layer");
        if (featureLayer.isArray()) {
            throw new IllegalArgumentException("a list of vision_feature_layer values is not supported");
        }
        String act = root.path("projector_hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new IllegalArgumentException("projector_hidden_act " + act + " is not supported (only gelu)");
        }
        JsonNode text = root.path("text_config");
        String textType = text.path("model_type").asText("llama");
        String strategy = root.path("vision_feature_select_strategy").asText("default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw new IllegalArgumentException("vision_feature_select_strategy " + strategy + " is not supported");
        }
        boolean next = format == CheckpointFormat.HF_LLAVA_NEXT;
        return new LlavaConfig(format, textConfig(text, textType), clipConfig(root.path("vision_config")),
                root.path("image_token_index").asInt(32000), featureLayer.asInt(-2), strategy.equals("full"),
                next, next ? pinpoints(root.path("image_grid_pinpoints")) : List.of(), eos);
    }

    private static LlavaConfig originalConfig(JsonNode root, VisionConfig vision, List<Integer> eos) {
        String projector = root.path("mm_projector_type").asText("linear");
        if (!projector.equals("mlp2x_gelu")) {
            throw new IllegalArgumentException("mm_projector_type " + projector + " is not supported (mlp2x_gelu)");
        }
        String feature = root.path("mm_vision_select_feature").asText("patch");
        if (!feature.equals("patch") && !feature.equals("cls_patch")) {
            throw new IllegalArgumentException("mm_vision_select_feature " + feature + " is not supported");
        }
        boolean anyres = root.path("image_aspect_ratio").asText("").startsWith("anyres");
        String merge = root.path("mm_patch_merge_type").asText("flat");
        if (anyres && !merge.equals("spatial_unpad")) {
            throw new IllegalArgumentException("anyres with mm_patch_merge_type " + merge
                    + " is not supported (spatial_unpad)");
        }
        if (root.has("mm_hidden_size") && root.get("mm_hidden_size").asInt() != vision.hiddenSize()) {
            throw new IllegalArgumentException("mm_hidden_size " + root.get("mm_hidden_size").asInt()
                    + " does not match the CLIP tower's hidden size " + vision.hiddenSize());
        }
        List<String> architectures = new ArrayList<>();
        root.path("architectures").forEach(a -> architectures.add(a.asText()));
        String textType = architectures.contains("LlavaMistralForCausalLM") ? "mistral" : "llama";
        return new LlavaConfig(CheckpointFormat.ORIGINAL_LLAVA, textConfig(root, textType), vision,
                root.path("image_token_index").asInt(ORIGINAL_IMAGE_TOKEN_ID),
                root.path("mm_vision_select_layer").asInt(-2), feature.equals("cls_patch"), anyres,
                anyres ? pinpoints(root.path("image_grid_pinpoints")) : List.of(), eos);
    }

    /** Llama / Mistral config; absent fields take transformers' LlamaConfig / MistralConfig defaults. */
    static TextConfig textConfig(JsonNode node, String modelType) {
        boolean mistral = modelType.equals("mistral");
        int hidden = node.path("hidden_size").asInt(4096);
        int heads = node.path("num_attention_heads").asInt(32);
        int kvHeads = node.hasNonNull("num_key_value_heads") ? node.get("num_key_value_heads").asInt()
                : mistral ? 8 : heads;
        int headDim = node.hasNonNull("head_dim") ? node.get("head_dim").asInt() : hidden / heads;
        int slidingWindow = !mistral ? 0
                : node.has("sliding_window") ? (node.get("sliding_window").isNull() ? 0 : node.get("sliding_window").asInt())
                : 4096;
        if (node.hasNonNull("rope_scaling")) {
            throw new IllegalArgumentException("rope_scaling is not supported");
        }
        return new TextConfig(modelType, hidden, node.path("intermediate_size").asInt(mistral ? 14336 : 11008),
                node.path("num_hidden_layers").asInt(32), heads, kvHeads, headDim,
                node.path("rope_theta").asDouble(10000.0), node.path("rms_norm_eps").asDouble(1e-6),
                node.path("vocab_size").asInt(32000),
                node.path("max_position_embeddings").asInt(mistral ? 131072 : 2048), slidingWindow);
    }

    /** CLIPVisionConfig, or the vision part of a CLIPConfig; absent fields take LLaVA's CLIP-L/336 values. */
    static VisionConfig clipConfig(JsonNode node) {
        JsonNode vision = node.has("vision_config") ? node.get("vision_config") : node;
        String act = vision.path("hidden_act").asText("quick_gelu");
        if (!act.equals("quick_gelu")) {
            throw new IllegalArgumentException("CLIP hidden_act " + act + " is not supported (quick_gelu)");
        }
        return new VisionConfig(vision.path("image_size").asInt(336), vision.path("patch_size").asInt(14),
                vision.path("num_channels").asInt(3), vision.path("hidden_size").asInt(1024),
                vision.path("intermediate_size").asInt(4096), vision.path("num_hidden_layers").asInt(24),
                vision.path("num_attention_heads").asInt(16), vision.path("layer_norm_eps").asDouble(1e-5));
    }

    /** Last resort for an original 1.6 checkpoint without any CLIP config: shapes, and CLIP's 64-wide heads. */
    private static VisionConfig inferVisionConfig(TensorSource weights) {
        String prefix = ORIGINAL_TOWER_PREFIX + "vision_model.";
        long[] patch = weights.shape(prefix + "embeddings.patch_embedding.weight");
        long[] positions = weights.shape(prefix + "embeddings.position_embedding.weight");
        long[] fc1 = weights.shape(prefix + "encoder.layers.0.mlp.fc1.weight");
        int layers = 0;
        while (weights.contains(prefix + "encoder.layers." + layers + ".mlp.fc1.weight")) {
            layers++;
        }
        int side = (int) Math.round(Math.sqrt(positions[0] - 1));
        int hidden = (int) patch[0];
        LOG.warn("no CLIP config found; inferred the vision tower from tensor shapes with 64-wide heads");
        return new VisionConfig(side * (int) patch[2], (int) patch[2], (int) patch[1], hidden, (int) fc1[0], layers,
                hidden / 64, 1e-5);
    }

    private static Optional<Path> towerDirectory(Path checkpoint, JsonNode root, Path override) {
        if (override != null) {
            if (!Files.isRegularFile(override.resolve("config.json"))) {
                throw new IllegalArgumentException("vision tower override " + override + " has no config.json");
            }
            return Optional.of(override);
        }
        String named = root.path("mm_vision_tower").asText();
        for (Path candidate : List.of(Path.of(named), checkpoint.resolve(named))) {
            if (Files.isRegularFile(candidate.resolve("config.json"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static List<int[]> pinpoints(JsonNode node) {
        List<int[]> result = new ArrayList<>();
        node.forEach(p -> result.add(new int[] {p.get(0).asInt(), p.get(1).asInt()}));
        return List.copyOf(result);
    }

    private static List<Integer> eosTokenIds(Path directory, JsonNode config) {
        Path generation = directory.resolve("generation_config.json");
        JsonNode source = Files.isRegularFile(generation) ? readJson(generation) : config;
        JsonNode eos = source.path("eos_token_id");
        if (eos.isMissingNode() || eos.isNull()) {
            eos = config.path("text_config").path("eos_token_id");
        }
        List<Integer> ids = new ArrayList<>();
        if (eos.isArray()) {
            eos.forEach(e -> ids.add(e.asInt()));
        } else if (eos.isNumber()) {
            ids.add(eos.asInt());
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(directory + ": no eos_token_id in generation_config.json or config.json");
        }
        return List.copyOf(ids);
    }

    private static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
