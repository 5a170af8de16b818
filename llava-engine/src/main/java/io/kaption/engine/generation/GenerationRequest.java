package io.kaption.engine.generation;

import io.kaption.engine.generation.constraint.TokenAutomaton;
import io.kaption.engine.vision.PixelValues;

/**
 * One prompt to complete.
 *
 * @param promptIds prompt token ids with ONE image token id per image (the checkpoint's {@code image_token_index}),
 *                  or already expanded to one id per image feature
 * @param image     the preprocessed image, or null for a text-only prompt
 * @param params     decoding parameters
 * @param constraint the automaton the output must follow, or null for free text
 */
public record GenerationRequest(int[] promptIds, PixelValues image, SamplingParams params, TokenAutomaton constraint) {

    public GenerationRequest(int[] promptIds, PixelValues image, SamplingParams params) {
        this(promptIds, image, params, null);
    }

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("a request needs at least one prompt token");
        }
        if (params == null) {
            throw new IllegalArgumentException("a request needs sampling parameters");
        }
    }
}
