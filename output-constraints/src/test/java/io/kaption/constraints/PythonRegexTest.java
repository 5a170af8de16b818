package io.kaption.constraints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PythonRegexTest {

    @ParameterizedTest
    @CsvSource(delimiter = '~', value = {
        "[a-z]+ ~ cat ~ Cat",
        "(yes|no) ~ no ~ maybe",
        "\\d{3}-\\d{4} ~ 555-1234 ~ 555-123",
        "^a.c$ ~ abc ~ ac",
        "(?:ab)*c? ~ ababc ~ abac",
        "(?P<word>\\w+)! ~ hi_5! ~ hi 5!",
        "a{2,} ~ aaa ~ a",
        "a{,2} ~ aa ~ aaa",
        "x{ ~ x{ ~ x",
        "[^\\s]+ ~ héllo ~ he llo",
        "[]a] ~ ] ~ b",
        "[a\\-z] ~ - ~ b",
        "\\.\\* ~ .* ~ ab",
        "colou?r ~ color ~ colouur",
        "[\\x41-\\x43]+ ~ ABC ~ ABD",
        "a*?b ~ aab ~ aa",
    })
    void fullmatchSemantics(String pattern, String matching, String other) {
        CharDfa dfa = OutputConstraint.regex(pattern.strip()).dfa();
        assertThat(dfa.matches(matching.strip())).as("%s matches %s", pattern, matching).isTrue();
        assertThat(dfa.matches(other.strip())).as("%s rejects %s", pattern, other).isFalse();
    }

    @Test
    void dotMatchesAnythingButNewlineAndNoLoneSurrogate() {
        CharDfa dfa = OutputConstraint.regex(".").dfa();
        assertThat(dfa.matches("é")).isTrue();
        assertThat(dfa.matches("\n")).isFalse();
        assertThat(dfa.matches("\ud83d")).isFalse();
        assertThat(OutputConstraint.regex("😀+").dfa().matches("😀😀")).as("literal astral characters").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"(ab", "ab)", "[a-", "*a", "a**", "a{3,2}", "\\", "[z-a]", "\\q", "a|*", "\\x4"})
    void invalidPatternsAreRefusedWithThePosition(String pattern) {
        assertThatThrownBy(() -> OutputConstraint.regex(pattern))
                .isInstanceOf(ConstraintException.class)
                .hasMessageStartingWith("regex_string: invalid regular expression: ")
                .hasMessageContaining("at position");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "(?=a)a", "(?<!a)b", "\\bword\\b", "(?i)abc", "a^b", "a$b", "a*+",
        "(?P<x>a)(?P=x)", "(a{1000}){1000}"})
    void constructsWithoutARegularEquivalentAreRefused(String pattern) {
        assertThatThrownBy(() -> OutputConstraint.regex(pattern))
                .isInstanceOf(ConstraintException.class)
                .hasMessageStartingWith("regex_string: unsupported regular expression: ");
    }

    @Test
    void aPatternMatchingNothingIsRefused() {
        assertThatThrownBy(() -> OutputConstraint.regex("[^\\x00-\\U0010ffff]"))
                .hasMessage("regex_string: matches no text at all");
    }

    /**
     * 300 random patterns of the syntax Python and java.util.regex share: the automaton accepts exactly what
     * {@code Pattern.matches} accepts on random ASCII strings, and every text sampled from the automaton matches.
     */
    @Test
    void randomPatternsAgreeWithJavaUtilRegex() {
        Random random = new Random(14);
        for (int n = 0; n < 300; n++) {
            String pattern = RandomRegex.generate(random, 3);
            CharDfa dfa = OutputConstraint.regex(pattern).dfa();
            Pattern java = Pattern.compile(pattern, Pattern.UNIX_LINES); // "." excludes only \n, as in Python
            DfaSampler sampler = new DfaSampler(dfa);
            for (int i = 0; i < 20; i++) {
                String accepted = sampler.sample(random, 12);
                assertThat(java.matcher(accepted).matches()).as("%s samples %s", pattern, accepted).isTrue();
                String probe = RandomRegex.probe(random, accepted);
                assertThat(dfa.matches(probe)).as("%s on %s", pattern, probe)
                        .isEqualTo(java.matcher(probe).matches());
            }
        }
    }
}
