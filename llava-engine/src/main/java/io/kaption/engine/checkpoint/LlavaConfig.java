package io.kaption.engine.checkpoint;

import java.util.List;

/**
 * Everything the forward pass needs to know about one LLaVA checkpoint, whatever its on-disk format.
 *
 * @param imageTokenId           the id that marks the image position in prompt ids
 * @param visionFeatureLayer     index into CLIP's hidden states (negative counts from the end, -2 in LLaVA)
 * @param keepClsFeature         strategy "full" (true) or "default" / "patch" (false, the CLS row is dropped)
 * @param anyres                 LLaVA-NeXT tiling: grid reassembly, unpadding and {@code image_newline}
 * @param gridPinpoints          anyres resolutions as {@code [height, width]} pairs (empty without anyres)
 * @param eosTokenIds            generation stops on any of these
 */
public record LlavaConfig(
        CheckpointFormat format, TextConfig text, VisionConfig vision, int imageTokenId, int visionFeatureLayer,
        boolean keepClsFeature, boolean anyres, List<int[]> gridPinpoints, List<Integer> eosTokenIds) {

    /** Number of CLIP encoder layers that must run to produce the selected hidden state. */
    public int visionLayersToRun() {
        int layers = visionFeatureLayer < 0 ? vision.numLayers() + 1 + visionFeatureLayer : visionFeatureLayer;
        if (layers < 0 || layers > vision.numLayers()) {
            throw new IllegalArgumentException("vision_feature_layer " + visionFeatureLayer + " is outside a "
                    + vision.numLayers() + "-layer tower");
        }
        return layers;
    }

    /** Image-feature rows per CLIP input (one image for LLaVA-1.5, one tile for NeXT). */
    public int featuresPerTile() {
        int patches = vision.patchesPerSide() * vision.patchesPerSide();
        return keepClsFeature ? patches + 1 : patches;
    }
}
