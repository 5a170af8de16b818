package io.kaption.engine.generation;

import java.util.SplittableRandom;

/** Picks the next token from (processed) logits. */
public interface Sampler {

    int sample(float[] logits);

    /** The sampler a request's parameters ask for; sampling draws from a stream seeded by the request. */
    static Sampler of(SamplingParams params) {
        if (params.isGreedy()) {
            return Sampler::argmax;
        }
        return new TopKTopPSampler((float) params.temperature(), params.topK(), params.topP(),
                new SplittableRandom(params.seed()));
    }

    /** Index of the largest logit, the first one on exact ties. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
