package io.kaption.engine.generation.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.constraints.OutputConstraint;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenAutomatonTest {

    private static final int EOS = 0;
    private static final float NEG = Float.NEGATIVE_INFINITY;
    // id:            0 (EOS)  1      2       3     4      5    6     7     8
    private static final String[] TEXTS = {null, " yes", "yes", "no", " ", "y", "es", "!", null};
    private static final TokenAutomaton.Vocabulary VOCABULARY = new TokenAutomaton.Vocabulary(TEXTS, ' ', 1);

    private static float[] logits(float... values) {
        return values;
    }

    private static int[] allowedIds(float[] masked) {
        return java.util.stream.IntStream.range(0, masked.length).filter(i -> masked[i] != NEG).toArray();
    }

    @Test
    void theDecodersLeadingSpaceNeverReachesTheAutomaton() {
        ConstrainedRow row = new TokenAutomaton(OutputConstraint.regex("yes!?"), VOCABULARY).newRow();
        float[] first = logits(1, 1, 1, 1, 1, 1, 1, 1, 1);
        assertThat(row.mask(first, List.of(EOS))).isTrue();
        // " yes" decodes to "yes" at the start (Strip of one space); a lone " " is stripped too and allowed.
        assertThat(allowedIds(first)).containsExactly(1, 2, 4, 5);
        row.advance(4);
        float[] second = logits(1, 1, 1, 1, 1, 1, 1, 1, 1);
        row.mask(second, List.of(EOS));
        assertThat(allowedIds(second)).as("only one space is stripped").containsExactly(2, 5);
    }

    @Test
    void eosOnlyWhenTheOutputIsCompleteAndAloneWhenNothingMayFollow() {
        TokenAutomaton automaton = new TokenAutomaton(OutputConstraint.regex("yes!?"), VOCABULARY);
        ConstrainedRow row = automaton.newRow();
        row.advance(5); // "y"
        float[] afterY = logits(5, 1, 1, 1, 1, 1, 1, 1, 1);
        row.mask(afterY, List.of(EOS));
        assertThat(allowedIds(afterY)).containsExactly(6);
        row.advance(6); // "yes"
        float[] complete = logits(5, 1, 1, 1, 1, 1, 1, 2, 1);
        row.mask(complete, List.of(EOS));
        assertThat(allowedIds(complete)).containsExactly(EOS, 7);
        assertThat(complete[EOS]).as("raw logits are kept").isEqualTo(5f);
        row.advance(7); // "yes!"
        float[] last = logits(-1, 1, 1, 1, 1, 1, 1, 1, 1);
        row.mask(last, List.of(EOS));
        assertThat(allowedIds(last)).containsExactly(EOS);
        assertThat(automaton.cachedStates()).isEqualTo(4);
    }

    @Test
    void whenEarlierProcessorsBannedEveryAllowedTokenTheConstraintStillHolds() {
        ConstrainedRow row = new TokenAutomaton(OutputConstraint.regex("no"), VOCABULARY).newRow();
        row.advance(3);
        float[] suppressed = logits(NEG, 1, 1, 1, 1, 1, 1, 1, 1); // min_new_tokens banned EOS
        row.mask(suppressed, List.of(EOS));
        assertThat(allowedIds(suppressed)).containsExactly(EOS);
        assertThat(suppressed[EOS]).isZero();
    }

    @Test
    void aCharacterNoTokenCanWriteIsADeadEnd() {
        TokenAutomaton.Vocabulary noStrip = new TokenAutomaton.Vocabulary(TEXTS, ' ', 0);
        ConstrainedRow row = new TokenAutomaton(OutputConstraint.regex("é"), noStrip).newRow();
        float[] values = logits(1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(row.mask(values, List.of(EOS))).isFalse();
        assertThat(values).as("left unchanged").containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void logitsBeyondTheVocabularyAreMasked() {
        ConstrainedRow row = new TokenAutomaton(OutputConstraint.regex("no"), VOCABULARY).newRow();
        float[] padded = new float[12];
        Arrays.fill(padded, 3f);
        row.mask(padded, List.of(EOS));
        assertThat(allowedIds(padded)).containsExactly(3, 4);
    }
}
