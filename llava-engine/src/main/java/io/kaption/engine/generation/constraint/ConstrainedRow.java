package io.kaption.engine.generation.constraint;

import java.util.Arrays;
import java.util.List;

/**
 * Where one row's output stands in its {@link TokenAutomaton}: masks the logits of each step to the tokens that
 * keep the output a prefix of an allowed text (EOS only once the whole output is allowed), then follows the
 * chosen token. Not thread-safe: one per row.
 */
public final class ConstrainedRow {

    private final TokenAutomaton automaton;
    private int state;

    ConstrainedRow(TokenAutomaton automaton, int initialState) {
        this.automaton = automaton;
        this.state = initialState;
    }

    /**
     * Leaves only the allowed tokens' logits (every other one becomes -∞). When the earlier logits processors left
     * every allowed token at -∞ (EOS suppressed by {@code min_new_tokens}, an n-gram ban), the allowed ones get an
     * equal 0: the constraint wins, the output must stay valid.
     *
     * @return false at a dead end: no token continues the output and it is not complete (characters the vocabulary
     *         cannot write on their own); {@code logits} is then unchanged
     */
    public boolean mask(float[] logits, List<Integer> eosIds) {
        TokenAutomaton.Allowed allowed = automaton.allowed(state);
        if (allowed.deadEnd()) {
            return false;
        }
        int[] tokens = allowed.tokens();
        List<Integer> eos = allowed.accepting() ? eosIds : List.of();
        float[] kept = new float[tokens.length + eos.size()];
        for (int i = 0; i < kept.length; i++) {
            int id = i < tokens.length ? tokens[i] : eos.get(i - tokens.length);
            kept[i] = id >= 0 && id < logits.length ? logits[id] : Float.NEGATIVE_INFINITY;
        }
        boolean anyFinite = false;
        for (float value : kept) {
            anyFinite |= value > Float.NEGATIVE_INFINITY;
        }
        Arrays.fill(logits, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < kept.length; i++) {
            int id = i < tokens.length ? tokens[i] : eos.get(i - tokens.length);
            if (id >= 0 && id < logits.length) {
                logits[id] = anyFinite ? kept[i] : 0f;
            }
        }
        return true;
    }

    /** Follows {@code token} (one {@link #mask} allowed); EOS and unknown tokens leave the state as it is. */
    public void advance(int token) {
        TokenAutomaton.Allowed allowed = automaton.allowed(state);
        int i = Arrays.binarySearch(allowed.tokens(), token);
        if (i >= 0) {
            state = allowed.next()[i];
        }
    }
}
