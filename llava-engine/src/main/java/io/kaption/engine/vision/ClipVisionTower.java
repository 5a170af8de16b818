package io.kaption.engine.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.checkpoint.VisionConfig;
import io.kaption.engine.nn.Activations;
import io.kaption.engine.nn.LayerScope;
import io.kaption.engine.nn.LayerNorm;
import io.kaption.engine.nn.Linear;
import io.kaption.engine.nn.ParameterLoader;
import io.kaption.engine.nn.ScaledDotProductAttention;
import io.kaption.engine.weights.Tensor;
import java.util.List;
import java.util.stream.IntStream;

/**
 * CLIP ViT up to the hidden state LLaVA selects ({@code vision_feature_layer}): layers after it, and
 * {@code post_layernorm}, cannot influence the output and are neither loaded nor run.
 */
public final class ClipVisionTower {

    private record EncoderLayer(LayerNorm norm1, Linear qkv, Linear out, LayerNorm norm2, Linear fc1, Linear fc2) {}

    private final VisionConfig config;
    private final boolean keepCls;
    /** Conv2d patch weights flattened to a linear {@code [hidden, channels·patch·patch]}. */
    private final Linear patchEmbedding;
    private final NDArray classEmbedding;
    private final NDArray positionEmbedding;
    private final LayerNorm preLayerNorm;
    private final List<EncoderLayer> layers;
    private final ScaledDotProductAttention attention;

    public ClipVisionTower(LlavaConfig llava, ParameterLoader params, ScaledDotProductAttention attention) {
        this.config = llava.vision();
        this.attention = attention;
        this.keepCls = llava.keepClsFeature();
        String p = "vision_tower.vision_model.";
        var conv = params.tensor(p + "embeddings.patch_embedding.weight");
        int hidden = config.hiddenSize();
        this.patchEmbedding = params.linear(new Tensor(new long[] {hidden, conv.data().length / hidden}, conv.data()));
        this.classEmbedding = params.array(p + "embeddings.class_embedding");
        this.positionEmbedding = params.array(p + "embeddings.position_embedding.weight");
        this.preLayerNorm = params.layerNorm(p + "pre_layrnorm", config.layerNormEps());
        this.layers = IntStream.range(0, llava.visionLayersToRun()).mapToObj(i -> {
            String l = p + "encoder.layers." + i + ".";
            return new EncoderLayer(params.layerNorm(l + "layer_norm1", config.layerNormEps()),
                    params.fusedLinear(List.of(l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj"),
                            true),
                    params.linear(l + "self_attn.out_proj", true),
                    params.layerNorm(l + "layer_norm2", config.layerNormEps()),
                    params.linear(l + "mlp.fc1", true), params.linear(l + "mlp.fc2", true));
        }).toList();
    }

    /**
     * @param patches pixel values {@code [P, channels·patch·patch]} per image patch, already unfolded by
     *                {@link #unfold}; created in the caller's scope and in the compute dtype
     * @return the selected hidden state {@code [P, N, hidden]} (N = grid², plus one for strategy "full")
     */
    public NDArray forward(NDArray patches, int images) {
        int grid = config.patchesPerSide();
        int hidden = config.hiddenSize();
        NDArray x = patchEmbedding.apply(patches).reshape(images, grid * grid, hidden);
        NDArray cls = x.zerosLike().get(":, 0:1, :").add(classEmbedding);
        x = cls.concat(x, 1).add(positionEmbedding);
        x = preLayerNorm.apply(x);
        for (EncoderLayer layer : layers) {
            x = LayerScope.run(x.getManager(), x, (in, layerScope) -> {
                NDArray h = attention(layer, layer.norm1.apply(in)).addi(in);
                return layer.fc2.apply(Activations.quickGelu(layer.fc1.apply(layer.norm2.apply(h)))).addi(h);
            });
        }
        return keepCls ? x : x.get(":, 1:, :");
    }

    private NDArray attention(EncoderLayer layer, NDArray x) {
        long images = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        int heads = config.numHeads();
        int headDim = config.headDim();
        NDArray qkv = layer.qkv.apply(x).reshape(images, tokens, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray context = attention.full(q, k, v).transpose(0, 2, 1, 3).reshape(images, tokens, (long) heads * headDim);
        return layer.out.apply(context);
    }

    /**
     * Cuts images {@code [P, C, S, S]} (C order) into patch rows {@code [P·grid², C·patch·patch]} laid out like
     * the conv weight, so that the patch embedding is one GEMM.
     */
    public float[] unfold(float[] pixels, int images) {
        int c = config.numChannels();
        int size = config.imageSize();
        int patch = config.patchSize();
        int grid = config.patchesPerSide();
        float[] out = new float[images * grid * grid * c * patch * patch];
        int o = 0;
        for (int img = 0; img < images; img++) {
            for (int gy = 0; gy < grid; gy++) {
                for (int gx = 0; gx < grid; gx++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int py = 0; py < patch; py++) {
                            int src = ((img * c + ch) * size + gy * patch + py) * size + gx * patch;
                            System.arraycopy(pixels, src, out, o, patch);
                            o += patch;
                        }
                    }
                }
            }
        }
        return out;
    }

    public Shape unfoldedShape(int images) {
        int patch = config.patchSize();
        return new Shape((long) images * config.patchesPerSide() * config.patchesPerSide(),
                (long) config.numChannels() * patch * patch);
    }
}
