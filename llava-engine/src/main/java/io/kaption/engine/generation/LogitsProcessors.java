package io.kaption.engine.generation;

import java.util.BitSet;
import java.util.List;

/** The logits processors Takeoff exposes, with transformers' semantics, applied in place before sampling. */
final class LogitsProcessors {

    private LogitsProcessors() {}

    /** Every distinct id seen so far (prompt incl. image tokens, plus generated): divide positives, scale negatives. */
    static void repetitionPenalty(float[] logits, BitSet seen, float penalty) {
        for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
            float score = logits[id];
            logits[id] = score < 0 ? score * penalty : score / penalty;
        }
    }

    /** Bans every token that would repeat an n-gram already present anywhere in {@code tokens[0, length)}. */
    static void noRepeatNgram(float[] logits, int[] tokens, int length, int n) {
        if (length + 1 < n) {
            return;
        }
        int prefixStart = length - (n - 1);
        for (int start = 0; start + n - 1 < length; start++) {
            boolean matches = true;
            for (int j = 0; j < n - 1 && matches; j++) {
                matches = tokens[start + j] == tokens[prefixStart + j];
            }
            int banned = tokens[start + n - 1];
            if (matches && banned >= 0 && banned < logits.length) {
                logits[banned] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    static void suppress(float[] logits, List<Integer> ids) {
        for (int id : ids) {
            if (id >= 0 && id < logits.length) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
