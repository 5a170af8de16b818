package io.kaption.engine.generation.constraint;

import io.kaption.constraints.CharDfa;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.generation.stream.Detokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link OutputConstraint}'s character DFA lifted to the tokens of one vocabulary, as Outlines and XGrammar do:
 * in each state, the tokens whose whole text the DFA can read from there, and where each one leads. Masks are
 * computed on first use of a state and cached, so a constraint pays for the states its rows actually visit.
 * Thread-safe; share one per (constraint, vocabulary).
 *
 * <p>A state is the DFA state plus how many leading characters the decoder may still strip from the start of the
 * output (Llama's {@code Strip} of the first space): a stripped space never reaches the DFA, exactly as it never
 * reaches the text.
 */
public final class TokenAutomaton {

    /** Tokens allowed in a state, ascending, with the state each leads to; {@code accepting}: EOS is allowed too. */
    record Allowed(int[] tokens, int[] next, boolean accepting) {

        boolean deadEnd() {
            return tokens.length == 0 && !accepting;
        }
    }

    private final OutputConstraint constraint;
    private final CharDfa dfa;
    private final Vocabulary vocabulary;
    private final int strides;
    private final ConcurrentHashMap<Integer, Allowed> cache = new ConcurrentHashMap<>();

    public TokenAutomaton(OutputConstraint constraint, Vocabulary vocabulary) {
        this.constraint = constraint;
        this.dfa = constraint.dfa();
        this.vocabulary = vocabulary;
        this.strides = vocabulary.stripCount() + 1;
    }

    public OutputConstraint constraint() {
        return constraint;
    }

    /** The per-row state machine of a new output. */
    public ConstrainedRow newRow() {
        return new ConstrainedRow(this, dfa.initialState() * strides + vocabulary.stripCount());
    }

    /** States the cache holds (for tests and logs). */
    public int cachedStates() {
        return cache.size();
    }

    Allowed allowed(int state) {
        return cache.computeIfAbsent(state, this::compute);
    }

    private Allowed compute(int state) {
        int dfaState = state / strides;
        int stripLeft = state % strides;
        char strip = vocabulary.stripChar();
        List<int[]> found = new ArrayList<>();
        String[] texts = vocabulary.texts();
        for (int id = 0; id < texts.length; id++) {
            String text = texts[id];
            if (text == null) {
                continue;
            }
            int s = dfaState;
            int k = stripLeft;
            for (int i = 0; i < text.length() && s != CharDfa.DEAD; i++) {
                char c = text.charAt(i);
                if (k > 0 && c == strip) {
                    k--;
                    continue;
                }
                k = 0;
                s = dfa.step(s, c);
            }
            if (s != CharDfa.DEAD) {
                found.add(new int[] {id, s * strides + k});
            }
        }
        int[] tokens = new int[found.size()];
        int[] next = new int[found.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = found.get(i)[0];
            next[i] = found.get(i)[1];
        }
        return new Allowed(tokens, next, dfa.isAccepting(dfaState));
    }

    /**
     * The text of every token as a constraint sees it.
     *
     * @param texts      by token id: the text the token adds, or null for tokens never allowed under a constraint
     *                   (special tokens, partial UTF-8 bytes, empty pieces)
     * @param stripChar  a character the decoder strips from the start of the whole output ...
     * @param stripCount ... up to this many times
     */
    public record Vocabulary(String[] texts, char stripChar, int stripCount) {

        public static Vocabulary of(Detokenizer detokenizer) {
            String[] texts = new String[detokenizer.vocabularySize()];
            for (int id = 0; id < texts.length; id++) {
                String text = detokenizer.standaloneText(id);
                texts[id] = text == null || text.isEmpty() ? null : text;
            }
            return new Vocabulary(texts, detokenizer.leadingStripChar(), detokenizer.leadingStripCount());
        }
    }
}
