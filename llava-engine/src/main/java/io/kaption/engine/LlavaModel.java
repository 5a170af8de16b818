package io.kaption.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.checkpoint.CheckpointFormat;
import io.kaption.engine.checkpoint.LlavaCheckpoint;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.llama.LlamaDecoder;
import io.kaption.engine.nn.ParameterLoader;
import io.kaption.engine.nn.ScaledDotProductAttention;
import io.kaption.engine.vision.AnyresPacking;
import io.kaption.engine.vision.ClipVisionTower;
import io.kaption.engine.vision.MultimodalProjector;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.weights.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The loaded LLaVA network: CLIP tower, projector, optional {@code image_newline}, decoder. */
public final class LlavaModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlavaModel.class);

    private final LlavaConfig config;
    private final NDManager manager;
    private final ClipVisionTower tower;
    private final MultimodalProjector projector;
    private final NDArray imageNewline;
    private final LlamaDecoder decoder;

    private LlavaModel(LlavaConfig config, NDManager manager, ClipVisionTower tower, MultimodalProjector projector,
            NDArray imageNewline, LlamaDecoder decoder) {
        this.config = config;
        this.manager = manager;
        this.tower = tower;
        this.projector = projector;
        this.imageNewline = imageNewline;
        this.decoder = decoder;
    }

    public static LlavaModel load(Path directory, Path visionTowerOverride, DataType computeType) {
        long started = System.nanoTime();
        try (LlavaCheckpoint checkpoint = LlavaCheckpoint.open(directory, visionTowerOverride)) {
            LlavaModel model = build(checkpoint.config(), checkpoint::tensor, computeType);
            LOG.info("loaded {} checkpoint {} ({}, {} text layers, {} vision layers run) in {} ms",
                    checkpoint.config().format(), directory, computeType, checkpoint.config().text().numLayers(),
                    checkpoint.config().visionLayersToRun(), (System.nanoTime() - started) / 1_000_000);
            return model;
        }
    }

    /** Builds the network from tensors addressed by llava-hf names (a checkpoint, or generated weights). */
    public static LlavaModel build(LlavaConfig config, Function<String, Tensor> tensors, DataType computeType) {
        System.setProperty("ai.djl.offline", "true");
        if (config.anyres() && config.keepClsFeature()) {
            throw new IllegalArgumentException("anyres with the \"full\" feature strategy is not supported");
        }
        NDManager manager = NDManager.newBaseManager();
        try {
            ParameterLoader params = new ParameterLoader(tensors, manager, computeType);
            ScaledDotProductAttention attention = ScaledDotProductAttention.load(manager);
            return new LlavaModel(config, manager, new ClipVisionTower(config, params, attention),
                    new MultimodalProjector(params), config.anyres() ? params.array("image_newline") : null,
                    new LlamaDecoder(config.text(), params, attention));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public LlavaConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType computeType() {
        return decoder.computeType();
    }

    /** Checks that preprocessing produced what this checkpoint expects; returns the image's feature count. */
    public int imageFeatureCount(PixelValues pixels) {
        int size = config.vision().imageSize();
        if (pixels.size() != size) {
            throw new IllegalArgumentException("image patches are " + pixels.size() + " px, the model expects "
                    + size + " px");
        }
        if (pixels.isAnyres() != config.anyres() || (!config.anyres() && pixels.patches() != 1)) {
            throw new IllegalArgumentException(config.anyres()
                    ? "this LLaVA-NeXT model needs anyres pixel values (base image + tiles)"
                    : "this LLaVA model needs exactly one image patch, got " + pixels.patches());
        }
        return config.anyres()
                ? AnyresPacking.featureCount(pixels, config.vision().patchesPerSide(), hfUnpadRounding())
                : config.featuresPerTile();
    }

    /** CLIP features (projector input) of several images in one tower pass: {@code [sum of patches, N, Dv]}. */
    public NDArray visionFeatures(List<PixelValues> images, NDManager scope) {
        int patches = images.stream().mapToInt(PixelValues::patches).sum();
        float[] unfolded = new float[(int) tower.unfoldedShape(patches).size()];
        int offset = 0;
        for (PixelValues image : images) {
            float[] part = tower.unfold(image.data(), image.patches());
            System.arraycopy(part, 0, unfolded, offset, part.length);
            offset += part.length;
        }
        NDArray input = scope.create(unfolded, tower.unfoldedShape(patches));
        if (computeType() != DataType.FLOAT32) {
            input = input.toType(computeType(), false);
        }
        return tower.forward(input, patches);
    }

    /** Original LLaVA-1.6 unpads with {@code int(x)}, transformers with {@code int(round(x, 7))}. */
    private boolean hfUnpadRounding() {
        return config.format() != CheckpointFormat.ORIGINAL_LLAVA;
    }

    /** Projected (and for NeXT, packed) features per image, {@code [N_i, D]} each. */
    public List<NDArray> imageFeatures(List<PixelValues> images, NDManager scope) {
        if (images.isEmpty()) {
            return List.of();
        }
        NDArray projected = projector.apply(visionFeatures(images, scope));
        List<NDArray> result = new ArrayList<>(images.size());
        int first = 0;
        for (PixelValues image : images) {
            NDArray own = projected.get("{}:{}", first, first + image.patches());
            first += image.patches();
            result.add(config.anyres()
                    ? AnyresPacking.pack(own, image, config.vision().patchesPerSide(), hfUnpadRounding(),
                            imageNewline)
                    : own.reshape(-1, own.getShape().get(2)));
        }
        return result;
    }

    @Override
    public void close() {
        manager.close();
    }
}
