package io.kaption.engine.generation;

import io.kaption.engine.vision.PixelValues;

/**
 * One prompt to complete.
 *
 * @param promptIds prompt token ids with ONE image token id per image (the checkpoint's {@code image_token_index}),
 *                  or already expanded to one id per image feature
 * @param image     the preprocessed image, or null for a text-only prompt
 * @param params    decoding parameters
 */
public record GenerationRequest(int[] promptIds, PixelValues image, SamplingParams params) {

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("a request needs at least one prompt token");
        }
        if (params == null) {
            throw new IllegalArgumentException("a request needs sampling parameters");
        }
    }
}
