package io.kaption.engine.generation;

import io.kaption.engine.generation.constraint.TokenAutomaton;
import io.kaption.engine.lora.LoraAdapter;
import io.kaption.engine.vision.PixelValues;
import java.util.List;

/**
 * One prompt to complete.
 *
 * @param promptIds prompt token ids with ONE image token id per image (the checkpoint's {@code image_token_index}),
 *                  or already expanded to one id per image feature
 * @param images     the preprocessed images in the order of their image tokens; empty for a text-only prompt
 * @param params     decoding parameters
 * @param constraint the automaton the output must follow ({@code regex_string}, {@code json_schema}), or null for
 *                   free text
 * @param adapter    the LoRA adapter to decode with ({@code lora_id}), acquired from
 *                   {@link io.kaption.engine.lora.LoraAdapters#acquire}: the engine releases it when the request
 *                   ends or is rejected; or null for the base model
 */
public record GenerationRequest(int[] promptIds, List<PixelValues> images, SamplingParams params,
        TokenAutomaton constraint, LoraAdapter adapter) {

    /** A request on the base model. */
    public GenerationRequest(int[] promptIds, List<PixelValues> images, SamplingParams params,
            TokenAutomaton constraint) {
        this(promptIds, images, params, constraint, null);
    }

    /** Free text about these images. */
    public GenerationRequest(int[] promptIds, List<PixelValues> images, SamplingParams params) {
        this(promptIds, images, params, null);
    }

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("a request needs at least one prompt token");
        }
        if (params == null) {
            throw new IllegalArgumentException("a request needs sampling parameters");
        }
        images = images == null ? List.of() : List.copyOf(images);
    }

    /** A prompt about one image, or none when {@code image} is null. */
    public GenerationRequest(int[] promptIds, PixelValues image, SamplingParams params) {
        this(promptIds, image, params, null);
    }

    /** A prompt about one image, or none when {@code image} is null, whose output follows {@code constraint}. */
    public GenerationRequest(int[] promptIds, PixelValues image, SamplingParams params, TokenAutomaton constraint) {
        this(promptIds, image == null ? List.of() : List.of(image), params, constraint);
    }
}
