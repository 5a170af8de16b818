package io.kaption.engine.demo;

import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.checkpoint.VisionConfig;
import io.kaption.engine.weights.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Seeded random weights of a LLaVA-1.5 network of any size, under llava-hf's tensor names: norms 1, biases 0,
 * everything else N(0, 0.02²) drawn from a generator seeded by the seed and the tensor's name. Not a trained model:
 * it exists so that the demo checkpoint and the benchmark need no download.
 */
public final class RandomWeights {

    private static final double STANDARD_DEVIATION = 0.02;

    private RandomWeights() {}

    /** Every tensor of the llava-hf layout (single-image LLaVA, not NeXT) with its shape, in name order. */
    public static Map<String, long[]> shapes(LlavaConfig config) {
        if (config.anyres()) {
            throw new IllegalArgumentException("random weights are made for LLaVA-1.5 layouts only (no anyres)");
        }
        VisionConfig v = config.vision();
        TextConfig t = config.text();
        long dv = v.hiddenSize();
        long d = t.hiddenSize();
        Map<String, long[]> shapes = new TreeMap<>();
        String vision = "vision_tower.vision_model.";
        shapes.put(vision + "embeddings.class_embedding", new long[] {dv});
        shapes.put(vision + "embeddings.patch_embedding.weight",
                new long[] {dv, v.numChannels(), v.patchSize(), v.patchSize()});
        shapes.put(vision + "embeddings.position_embedding.weight",
                new long[] {(long) v.patchesPerSide() * v.patchesPerSide() + 1, dv});
        layerNorm(shapes, vision + "pre_layrnorm", dv);
        for (int i = 0; i < v.numLayers(); i++) {
            String layer = vision + "encoder.layers." + i + ".";
            layerNorm(shapes, layer + "layer_norm1", dv);
            layerNorm(shapes, layer + "layer_norm2", dv);
            for (String projection : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                linear(shapes, layer + "self_attn." + projection, dv, dv, true);
            }
            linear(shapes, layer + "mlp.fc1", v.intermediateSize(), dv, true);
            linear(shapes, layer + "mlp.fc2", dv, v.intermediateSize(), true);
        }
        layerNorm(shapes, vision + "post_layernorm", dv);
        linear(shapes, "multi_modal_projector.linear_1", d, dv, true);
        linear(shapes, "multi_modal_projector.linear_2", d, d, true);
        String text = "language_model.model.";
        long queries = (long) t.numHeads() * t.headDim();
        long keys = (long) t.numKvHeads() * t.headDim();
        shapes.put(text + "embed_tokens.weight", new long[] {t.vocabSize(), d});
        for (int i = 0; i < t.numLayers(); i++) {
            String layer = text + "layers." + i + ".";
            shapes.put(layer + "input_layernorm.weight", new long[] {d});
            shapes.put(layer + "post_attention_layernorm.weight", new long[] {d});
            linear(shapes, layer + "self_attn.q_proj", queries, d, false);
            linear(shapes, layer + "self_attn.k_proj", keys, d, false);
            linear(shapes, layer + "self_attn.v_proj", keys, d, false);
            linear(shapes, layer + "self_attn.o_proj", d, queries, false);
            linear(shapes, layer + "mlp.gate_proj", t.intermediateSize(), d, false);
            linear(shapes, layer + "mlp.up_proj", t.intermediateSize(), d, false);
            linear(shapes, layer + "mlp.down_proj", d, t.intermediateSize(), false);
        }
        shapes.put(text + "norm.weight", new long[] {d});
        shapes.put("language_model.lm_head.weight", new long[] {t.vocabSize(), d});
        return shapes;
    }

    /** The tensors of {@link #shapes}, generated on demand (what {@code LlavaModel.build} asks for). */
    public static Function<String, Tensor> of(LlavaConfig config, long seed) {
        Map<String, long[]> shapes = shapes(config);
        return name -> {
            long[] shape = shapes.get(name);
            if (shape == null) {
                throw new IllegalArgumentException("no tensor " + name + " in a LLaVA-1.5 layout");
            }
            return tensor(name, shape, seed);
        };
    }

    /** One tensor: ones for norm weights, zeros for biases, else N(0, 0.02²) seeded by {@code seed} and the name. */
    public static Tensor tensor(String name, long[] shape, long seed) {
        int count = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        float[] data = new float[count];
        if (name.contains("norm") && name.endsWith(".weight")) {
            Arrays.fill(data, 1f);
        } else if (!name.endsWith(".bias")) {
            SplittableRandom random = new SplittableRandom(seed + name.hashCode()); // String.hashCode is specified
            for (int i = 0; i < count; i++) {
                data[i] = (float) (gaussian(random) * STANDARD_DEVIATION);
            }
        }
        return new Tensor(shape, data);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian in Java 17
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static void layerNorm(Map<String, long[]> shapes, String prefix, long size) {
        shapes.put(prefix + ".weight", new long[] {size});
        shapes.put(prefix + ".bias", new long[] {size});
    }

    private static void linear(Map<String, long[]> shapes, String prefix, long out, long in, boolean bias) {
        shapes.put(prefix + ".weight", new long[] {out, in});
        if (bias) {
            shapes.put(prefix + ".bias", new long[] {out});
        }
    }
}
