package io.kaption.engine.demo;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.checkpoint.CheckpointFormat;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.checkpoint.VisionConfig;
import io.kaption.engine.weights.SafetensorsWriter;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny LLaVA-1.5 checkpoint with seeded random weights, written in llava-hf's Hugging Face layout so that
 * {@code LlavaPipeline.load} takes it like any downloaded model: CLIP 56 px / patch 14 / 64 wide / 2 layers,
 * Llama 128 wide / 2 layers / 4 heads, the real Llama-2 tokenizer (vocabulary 32064 like llava-1.5-7b-hf) and
 * LLaVA-1.5's chat template. It loads and generates in moments on a laptop CPU.
 *
 * <p><b>Its answers are noise</b>: nothing was trained. It exists so that {@code bin/kaption local} runs without a
 * downloaded model and so that tests of the services have a model; anything that announces it must say so
 * ({@link #NOTICE}).
 *
 * <p>{@link #write} is deterministic: the same bytes on every machine and every run.
 */
public final class DemoCheckpoint {

    /** What every log line announcing the demo model says. */
    public static final String NOTICE = "demo model with random weights: its answers are noise";

    /** Seed of the weights; part of what makes the files identical everywhere. */
    public static final long SEED = 15;

    private static final String RESOURCES = "/io/kaption/engine/demo/";
    /** Tokenizer files copied unchanged from the resources (see the README beside them). */
    private static final List<String> TOKENIZER_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja");

    private static final int IMAGE_SIZE = 56;
    private static final int PATCH_SIZE = 14;
    private static final int IMAGE_TOKEN = 32000;
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int PAD = 32001;
    private static final int VOCAB = 32064;
    private static final int MAX_POSITIONS = 4096;
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Two-space indent and "\n" whatever the platform's line separator, so the bytes never vary. */
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private DemoCheckpoint() {}

    /** The network's hyper-parameters, as {@code config.json} states them. */
    public static LlavaConfig config() {
        VisionConfig vision = new VisionConfig(IMAGE_SIZE, PATCH_SIZE, 3, 64, 256, 2, 4, 1e-5);
        TextConfig text = new TextConfig("llama", 128, 256, 2, 4, 4, 32, 10000.0, 1e-5, VOCAB, MAX_POSITIONS, 0);
        return new LlavaConfig(CheckpointFormat.HF_LLAVA, text, vision, IMAGE_TOKEN, -2, false, false, List.of(),
                List.of(EOS));
    }

    /**
     * Writes the checkpoint into {@code directory} (created if needed; files of the same names are replaced).
     *
     * @return {@code directory}
     */
    public static Path write(Path directory) throws IOException {
        return write(directory, config());
    }

    /**
     * Writes a checkpoint of the same kind (random weights, seed {@value #SEED}, the demo's tokenizer and token ids)
     * in another shape, e.g. the benchmark's ≈154.5M-parameter one ({@code EngineBenchmark.config()}); its
     * {@code eos_token_id} is the demo's whatever {@code config} says.
     *
     * @return {@code directory}
     */
    public static Path write(Path directory, LlavaConfig config) throws IOException {
        if (config.imageTokenId() != IMAGE_TOKEN || config.text().vocabSize() != VOCAB) {
            throw new IllegalArgumentException("the demo tokenizer needs image token " + IMAGE_TOKEN + " and vocabulary "
                    + VOCAB);
        }
        Files.createDirectories(directory);
        writeJson(directory.resolve("config.json"), modelConfig(config));
        writeJson(directory.resolve("generation_config.json"), generationConfig());
        writeJson(directory.resolve("preprocessor_config.json"), preprocessorConfig(config.vision().imageSize()));
        writeJson(directory.resolve("processor_config.json"), processorConfig(config.vision().patchSize()));
        for (String file : TOKENIZER_FILES) {
            try (InputStream in = DemoCheckpoint.class.getResourceAsStream(RESOURCES + file)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + RESOURCES + file + " is missing from the jar");
                }
                Files.copy(in, directory.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(directory.resolve("README.md"), "# Kaption demo checkpoint\n\n"
                + "Written by `io.kaption.engine.demo.DemoCheckpoint`: a LLaVA-1.5 with random weights (seed "
                + SEED + ", " + config.text().numLayers() + " decoder layers of width " + config.text().hiddenSize()
                + "). Its answers are noise. Use a real checkpoint (e.g. llava-hf/llava-1.5-7b-hf) for real "
                + "answers.\n", StandardCharsets.UTF_8);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        RandomWeights.shapes(config).forEach((name, shape) -> tensors.put(name, RandomWeights.tensor(name, shape, SEED)));
        SafetensorsWriter.write(directory.resolve("model.safetensors"), tensors, Map.of());
        return directory;
    }

    private static ObjectNode modelConfig(LlavaConfig config) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("LlavaForConditionalGeneration");
        root.put("kaption_demo_model", NOTICE);
        root.put("image_token_index", config.imageTokenId());
        root.put("model_type", "llava");
        root.put("projector_hidden_act", "gelu");
        root.put("multimodal_projector_bias", true);
        root.put("tie_word_embeddings", false);
        root.put("torch_dtype", "float32");
        root.put("vision_feature_layer", config.visionFeatureLayer());
        root.put("vision_feature_select_strategy", "default");
        TextConfig t = config.text();
        ObjectNode text = root.putObject("text_config");
        text.put("model_type", "llama");
        text.put("hidden_size", t.hiddenSize());
        text.put("intermediate_size", t.intermediateSize());
        text.put("num_hidden_layers", t.numLayers());
        text.put("num_attention_heads", t.numHeads());
        text.put("num_key_value_heads", t.numKvHeads());
        text.put("head_dim", t.headDim());
        text.put("hidden_act", "silu");
        text.put("rope_theta", t.ropeTheta());
        text.put("rms_norm_eps", t.rmsNormEps());
        text.put("vocab_size", t.vocabSize());
        text.put("max_position_embeddings", t.maxPositions());
        text.put("attention_bias", false);
        text.put("mlp_bias", false);
        text.put("pad_token_id", PAD);
        VisionConfig v = config.vision();
        ObjectNode vision = root.putObject("vision_config");
        vision.put("model_type", "clip_vision_model");
        vision.put("image_size", v.imageSize());
        vision.put("patch_size", v.patchSize());
        vision.put("num_channels", v.numChannels());
        vision.put("hidden_size", v.hiddenSize());
        vision.put("intermediate_size", v.intermediateSize());
        vision.put("num_hidden_layers", v.numLayers());
        vision.put("num_attention_heads", v.numHeads());
        vision.put("hidden_act", "quick_gelu");
        vision.put("layer_norm_eps", v.layerNormEps());
        vision.put("projection_dim", v.hiddenSize());
        return root;
    }

    private static ObjectNode generationConfig() {
        ObjectNode root = JSON.createObjectNode();
        root.put("bos_token_id", BOS);
        root.put("eos_token_id", EOS);
        root.put("pad_token_id", PAD);
        return root;
    }

    private static ObjectNode preprocessorConfig(int imageSize) {
        ObjectNode root = JSON.createObjectNode();
        root.put("image_processor_type", "CLIPImageProcessor");
        root.put("processor_class", "LlavaProcessor");
        root.putObject("size").put("shortest_edge", imageSize);
        root.putObject("crop_size").put("height", imageSize).put("width", imageSize);
        root.put("do_resize", true);
        root.put("resample", 3);
        root.put("do_center_crop", true);
        root.put("do_rescale", true);
        root.put("rescale_factor", 1 / 255.0);
        root.put("do_normalize", true);
        ArrayNode mean = root.putArray("image_mean");
        ArrayNode std = root.putArray("image_std");
        for (int c = 0; c < 3; c++) {
            mean.add(CLIP_MEAN[c]);
            std.add(CLIP_STD[c]);
        }
        root.put("do_convert_rgb", true);
        return root;
    }

    private static ObjectNode processorConfig(int patchSize) {
        ObjectNode root = JSON.createObjectNode();
        root.put("processor_class", "LlavaProcessor");
        root.put("image_token", "<image>");
        root.put("patch_size", patchSize);
        root.put("num_additional_image_tokens", 1);
        root.put("vision_feature_select_strategy", "default");
        return root;
    }

    private static void writeJson(Path file, ObjectNode node) throws IOException {
        Files.writeString(file, PRETTY.writeValueAsString(node) + "\n", StandardCharsets.UTF_8);
    }
}
