package io.kaption.engine.generation;

/**
 * Per-request decoding parameters, named and defaulted as Takeoff does.
 *
 * @param temperature       {@code sampling_temperature}, divides the logits before sampling (default 1.0)
 * @param topK              {@code sampling_topk}: sample among the k most likely tokens; 1 is greedy (default);
 *                          0 means no limit
 * @param topP              {@code sampling_topp}: nucleus mass to sample from (default 1.0)
 * @param repetitionPenalty {@code repetition_penalty} over the whole sequence, prompt included (1.0 = off)
 * @param noRepeatNgramSize {@code no_repeat_ngram_size} (0 = off)
 * @param maxNewTokens      {@code max_new_tokens} (default 128)
 * @param minNewTokens      {@code min_new_tokens}: EOS is suppressed before this many tokens (default 0)
 * @param promptMaxTokens   {@code prompt_max_tokens}: longer prompts (image tokens included) fail (0 = no limit)
 * @param seed              seed of the request's own random stream, for reproducible sampling
 */
public record SamplingParams(
        double temperature, int topK, double topP, double repetitionPenalty, int noRepeatNgramSize,
        int maxNewTokens, int minNewTokens, int promptMaxTokens, long seed) {

    public static final SamplingParams DEFAULTS = new SamplingParams(1.0, 1, 1.0, 1.0, 0, 128, 0, 0, 0L);

    public SamplingParams {
        require(temperature >= 0 && Double.isFinite(temperature), "sampling_temperature must be >= 0");
        require(topK >= 0, "sampling_topk must be >= 0");
        require(topP > 0 && topP <= 1, "sampling_topp must be in (0, 1]");
        require(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty), "repetition_penalty must be > 0");
        require(noRepeatNgramSize >= 0, "no_repeat_ngram_size must be >= 0");
        require(maxNewTokens >= 1, "max_new_tokens must be >= 1");
        require(minNewTokens >= 0 && minNewTokens <= maxNewTokens, "min_new_tokens must be in [0, max_new_tokens]");
        require(promptMaxTokens >= 0, "prompt_max_tokens must be >= 0");
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return DEFAULTS.withMaxNewTokens(maxNewTokens);
    }

    /** Greedy decoding: top-k 1 or temperature 0. */
    public boolean isGreedy() {
        return topK == 1 || temperature == 0;
    }

    public SamplingParams withMaxNewTokens(int value) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, value,
                Math.min(minNewTokens, value), promptMaxTokens, seed);
    }

    public SamplingParams withSampling(double temperatureValue, int topKValue, double topPValue, long seedValue) {
        return new SamplingParams(temperatureValue, topKValue, topPValue, repetitionPenalty, noRepeatNgramSize,
                maxNewTokens, minNewTokens, promptMaxTokens, seedValue);
    }

    public SamplingParams withRepetitionPenalty(double value) {
        return new SamplingParams(temperature, topK, topP, value, noRepeatNgramSize, maxNewTokens, minNewTokens,
                promptMaxTokens, seed);
    }

    public SamplingParams withNoRepeatNgramSize(int value) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, value, maxNewTokens, minNewTokens,
                promptMaxTokens, seed);
    }

    public SamplingParams withMinNewTokens(int value) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, maxNewTokens, value,
                promptMaxTokens, seed);
    }

    public SamplingParams withPromptMaxTokens(int value) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, maxNewTokens,
                minNewTokens, value, seed);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
