package io.kaption.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.lora.LoraRows;
import io.kaption.engine.lora.Projection;
import io.kaption.engine.nn.Activations;
import io.kaption.engine.nn.LayerScope;
import io.kaption.engine.nn.Linear;
import io.kaption.engine.nn.ParameterLoader;
import io.kaption.engine.nn.RmsNorm;
import io.kaption.engine.nn.ScaledDotProductAttention;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The Llama / Mistral decoder: RMSNorm, rotate-half RoPE, grouped-query causal attention over a {@link KvCache}
 * (PyTorch's fused kernel), SiLU-gated MLP, final norm and lm_head. Tensor names are llava-hf's ({@code language_model.model.*}).
 */
public final class LlamaDecoder {

    private record Layer(RmsNorm inputNorm, Linear qkv, Linear out, RmsNorm postNorm, Linear gateUp, Linear down) {}

    private final TextConfig config;
    private final DataType computeType;
    private final NDArray embedTokens;
    private final List<Layer> layers;
    private final RmsNorm norm;
    private final Linear lmHead;
    private final float[] inverseFrequencies;
    private final ScaledDotProductAttention attention;

    public LlamaDecoder(TextConfig config, ParameterLoader params, ScaledDotProductAttention attention) {
        this.config = config;
        this.attention = attention;
        this.computeType = params.computeType();
        String p = "language_model.model.";
        this.embedTokens = params.array(p + "embed_tokens.weight");
        this.layers = IntStream.range(0, config.numLayers()).mapToObj(i -> {
            String l = p + "layers." + i + ".";
            return new Layer(params.rmsNorm(l + "input_layernorm", config.rmsNormEps()),
                    params.fusedLinear(List.of(l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj"),
                            false),
                    params.linear(l + "self_attn.o_proj", false),
                    params.rmsNorm(l + "post_attention_layernorm", config.rmsNormEps()),
                    params.fusedLinear(List.of(l + "mlp.gate_proj", l + "mlp.up_proj"), false),
                    params.linear(l + "mlp.down_proj", false));
        }).toList();
        this.norm = params.rmsNorm(p + "norm", config.rmsNormEps());
        this.lmHead = params.linear("language_model.lm_head", false);
        this.inverseFrequencies = inverseFrequencies(config);
    }

    /** Token embeddings {@code [..., hidden]} for int64 {@code ids} (created in the caller's scope). */
    public NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal().embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * Runs {@code hidden} {@code [B, L, D]} whose tokens occupy cache slots {@code [slot, slot + L)}, attending to
     * slots {@code [0, slot + L)}.
     *
     * @param positions RoPE position of every token, {@code [B·L]} row-major
     * @param mask      boolean attention mask {@code [B, 1, L, slot + L]}, true where a token may attend to a slot;
     *                  null when every token attends to every slot up to its own (no padding, no sliding window)
     *                  — a prefill ({@code slot} 0) is then causal, a decode step ({@code L} 1) sees all slots
     * @param lora      each row's LoRA adapter, added to the projections' outputs ({@link LoraRows#NONE}: none)
     * @return float32 logits of the last position of every row, {@code [B, vocab]}
     */
    public NDArray forward(NDArray hidden, int[] positions, NDArray mask, KvCache cache, int slot, LoraRows lora,
            NDManager scope) {
        long batch = hidden.getShape().get(0);
        long length = hidden.getShape().get(1);
        if (mask == null && length > 1 && slot > 0) {
            throw new IllegalArgumentException("tokens after slot 0 need an explicit mask");
        }
        NDArray[] rope = rotaryTables(positions, batch, length, scope);
        NDArray x = hidden;
        for (int i = 0; i < layers.size(); i++) {
            int index = i;
            x = LayerScope.run(scope, x,
                    (in, layerScope) -> layer(index, in, rope, mask, cache, slot, lora, layerScope));
        }
        NDArray last = x.get(":, -1:, :").reshape(batch, config.hiddenSize());
        NDArray logits = lmHead.apply(norm.apply(last));
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    private NDArray layer(int index, NDArray x, NDArray[] rope, NDArray mask, KvCache cache, int slot,
            LoraRows lora, NDManager scope) {
        Layer layer = layers.get(index);
        // residual adds go in place into the fresh projection outputs (a + b is b + a, bit for bit)
        NDArray h = attention(index, layer, layer.inputNorm.apply(x), rope, mask, cache, slot, lora, scope).addi(x);
        NDArray normed = layer.postNorm.apply(h);
        NDArray gateUp = lora.add(index, Projection.GATE_UP, normed, layer.gateUp.apply(normed));
        long intermediate = gateUp.getShape().get(2) / 2;
        NDArray gate = gateUp.get(":, :, 0:{}", intermediate);
        NDArray up = gateUp.get(":, :, {}:", intermediate);
        NDArray activated = Activations.siluGated(gate, up);
        return lora.add(index, Projection.DOWN, activated, layer.down.apply(activated)).addi(h);
    }

    private NDArray attention(int index, Layer layer, NDArray x, NDArray[] rope, NDArray mask, KvCache cache,
            int slot, LoraRows lora, NDManager scope) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        NDArray qkv = lora.add(index, Projection.QKV, x, layer.qkv.apply(x));
        // RoPE on the query and key heads at once, then [B, heads, L, headDim] views
        NDArray qk = rotate(qkv.get(":, :, 0:{}", (heads + kvHeads) * headDim)
                .reshape(batch, length, heads + kvHeads, headDim), rope).transpose(0, 2, 1, 3);
        NDArray q = qk.get(":, 0:{}", heads);
        NDArray k = qk.get(":, {}:", heads);
        NDArray v = qkv.get(":, :, {}:", (heads + kvHeads) * headDim).reshape(batch, length, kvHeads, headDim)
                .transpose(0, 2, 1, 3);
        cache.write(index, slot, k, v);
        if (slot > 0) { // attend to the earlier slots too
            k = cache.keys(index, slot + (int) length, scope);
            v = cache.values(index, slot + (int) length, scope);
        }
        NDArray context = mask != null ? attention.masked(q, k, v, mask)
                : length == 1 ? attention.full(q, k, v) : attention.causal(q, k, v);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headDim);
        return lora.add(index, Projection.OUT, merged, layer.out.apply(merged));
    }

    /** {@code x·cos + swap_halves(x)·[-sin | sin]}, i.e. transformers' rotate_half RoPE. */
    private static NDArray rotate(NDArray x, NDArray[] rope) {
        long half = x.getShape().get(3) / 2;
        NDArray swapped = x.get(":, :, :, {}:", half).concat(x.get(":, :, :, 0:{}", half), 3);
        return x.mul(rope[0]).addi(swapped.muli(rope[1]));
    }

    /** cos and signed sin {@code [B, L, 1, headDim]}, computed in float32 like transformers, then cast. */
    private NDArray[] rotaryTables(int[] positions, long batch, long length, NDManager scope) {
        int headDim = config.headDim();
        int half = headDim / 2;
        float[] cos = new float[positions.length * headDim];
        float[] sin = new float[positions.length * headDim];
        for (int t = 0; t < positions.length; t++) {
            for (int i = 0; i < half; i++) {
                float angle = inverseFrequencies[i] * positions[t];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[t * headDim + i] = c;
                cos[t * headDim + half + i] = c;
                sin[t * headDim + i] = -s;
                sin[t * headDim + half + i] = s;
            }
        }
        Shape shape = new Shape(batch, length, 1, headDim);
        NDArray cosArray = scope.create(cos, shape);
        NDArray sinArray = scope.create(sin, shape);
        if (computeType != DataType.FLOAT32) {
            cosArray = cosArray.toType(computeType, false);
            sinArray = sinArray.toType(computeType, false);
        }
        return new NDArray[] {cosArray, sinArray};
    }

    /** {@code 1 / θ^(2i/d)} in float32, the order of operations transformers uses. */
    private static float[] inverseFrequencies(TextConfig config) {
        int half = config.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) config.headDim();
            inv[i] = 1.0f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        return inv;
    }

    public DataType computeType() {
        return computeType;
    }
}
