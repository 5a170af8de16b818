package io.kaption.engine.generation;

/**
 * What one request produced.
 *
 * @param tokenIds     generated ids (the EOS id included when {@code finishReason} is EOS)
 * @param promptTokens prompt length as the model saw it, image tokens expanded (0 if rejected before that)
 * @param error        why the request failed, or null
 */
public record GenerationResult(int[] tokenIds, FinishReason finishReason, int promptTokens, String error) {

    public static GenerationResult failed(String error, int promptTokens) {
        return new GenerationResult(new int[0], FinishReason.ERROR, promptTokens, error);
    }
}
