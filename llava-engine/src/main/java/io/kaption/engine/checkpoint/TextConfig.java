package io.kaption.engine.checkpoint;

/**
 * Llama / Mistral decoder hyper-parameters.
 *
 * @param slidingWindow Mistral's attention window in tokens, or 0 for none
 */
public record TextConfig(
        String modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
        int headDim, double ropeTheta, double rmsNormEps, int vocabSize, int maxPositions, int slidingWindow) {

    public TextConfig {
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(numHeads + " attention heads are not a multiple of " + numKvHeads
                    + " key/value heads");
        }
    }
}
