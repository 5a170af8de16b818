package io.kaption.engine.checkpoint;

/** CLIP vision tower hyper-parameters (HF {@code CLIPVisionConfig}). */
public record VisionConfig(
        int imageSize, int patchSize, int numChannels, int hiddenSize, int intermediateSize, int numLayers,
        int numHeads, double layerNormEps) {

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }
}
