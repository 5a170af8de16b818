package io.kaption.engine.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Temperature, then top-k, then top-p (nucleus), then a draw: the order of transformers' logits warpers. */
final class TopKTopPSampler implements Sampler {

    private final float temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    TopKTopPSampler(float temperature, int topK, double topP, SplittableRandom random) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = random;
    }

    @Override
    public int sample(float[] logits) {
        int[] order = descending(logits);
        int kept = topK > 0 ? Math.min(topK, order.length) : order.length;
        // Tokens tied with the k-th are kept too, as transformers' TopKLogitsWarper does.
        while (kept < order.length && logits[order[kept]] == logits[order[kept - 1]]) {
            kept++;
        }
        double max = logits[order[0]] / temperature;
        if (!Double.isFinite(max)) {
            // The temperature is so small (0 as a float) that the scaled logits overflow: that is greedy decoding.
            return order[0];
        }
        double[] weights = new double[kept];
        double total = 0;
        for (int i = 0; i < kept; i++) {
            // A banned token stays banned even where an infinite temperature would scale its -inf to NaN.
            float logit = logits[order[i]];
            weights[i] = logit == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logit / temperature - max);
            total += weights[i];
        }
        // Nucleus: the most likely tokens whose mass before them is still below top_p.
        double mass = 0;
        int nucleus = 0;
        while (nucleus < kept && mass < topP * total) {
            mass += weights[nucleus];
            nucleus++;
        }
        double draw = random.nextDouble() * mass;
        for (int i = 0; i < nucleus; i++) {
            draw -= weights[i];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }

    /** Token ids by decreasing logit, lower id first on ties; banned (-inf) tokens last. */
    static int[] descending(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ~ordered << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }
}
