package io.kaption.engine.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sampling and logits processors on tiny logits vectors. */
class SamplerTest {

    private static final float[] LOGITS = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f};

    @Test
    void argmaxTakesTheFirstOfTiedMaxima() {
        assertThat(Sampler.argmax(LOGITS)).isEqualTo(1);
    }

    @Test
    void topKOneIsGreedyWhateverTheTemperature() {
        SamplingParams params = SamplingParams.DEFAULTS.withSampling(5.0, 1, 0.5, 42);
        assertThat(params.isGreedy()).isTrue();
        assertThat(Sampler.of(params).sample(LOGITS.clone())).isEqualTo(1);
    }

    @Test
    void sameSeedSameDraws() {
        SamplingParams params = SamplingParams.DEFAULTS.withSampling(1.0, 0, 1.0, 1234);
        Sampler a = Sampler.of(params);
        Sampler b = Sampler.of(params);
        int[] first = new int[50];
        int[] second = new int[50];
        for (int i = 0; i < 50; i++) {
            first[i] = a.sample(LOGITS.clone());
            second[i] = b.sample(LOGITS.clone());
        }
        assertThat(first).containsExactly(second);
        assertThat(first).as("a real distribution, not a constant").containsAnyOf(0, 2, 4).contains(1);
    }

    @Test
    void samplingFrequenciesFollowSoftmaxOfScaledLogits() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4)}; // probabilities 1/7, 2/7, 4/7
        int[] counts = draw(new TopKTopPSampler(1f, 0, 1.0, new SplittableRandom(1)), logits, 70_000);
        assertThat(counts[0] / 70_000.0).isCloseTo(1 / 7.0, within(0.01));
        assertThat(counts[1] / 70_000.0).isCloseTo(2 / 7.0, within(0.01));
        assertThat(counts[2] / 70_000.0).isCloseTo(4 / 7.0, within(0.01));

        // temperature 2 halves the log-odds: probabilities ∝ 1, √2, 2
        int[] warm = draw(new TopKTopPSampler(2f, 0, 1.0, new SplittableRandom(2)), logits, 70_000);
        double total = 1 + Math.sqrt(2) + 2;
        assertThat(warm[2] / 70_000.0).isCloseTo(2 / total, within(0.01));
        assertThat(warm[0] / 70_000.0).isCloseTo(1 / total, within(0.01));
    }

    @Test
    void aTemperatureTooSmallForFloatsActsGreedilyInsteadOfFailingTheBatch() {
        // The contract allows any temperature > 0. 1e-50 is 0 as a float and 1e-40 overflows the scaled logits:
        // the softmax became NaN and the draw indexed order[-1], an exception that failed every row of the batch.
        for (double temperature : new double[] {1e-50, 1e-40}) {
            Sampler sampler = Sampler.of(SamplingParams.DEFAULTS.withSampling(temperature, 40, 0.9, 7));
            assertThat(sampler.sample(LOGITS.clone())).as("temperature %s", temperature).isEqualTo(1);
            float[] negative = {-3.0f, -1.0f, -2.0f};
            assertThat(sampler.sample(negative)).as("temperature %s, negative logits", temperature).isEqualTo(1);
        }
    }

    @Test
    void anInfiniteTemperatureStillNeverDrawsABannedToken() {
        // 1e39 is infinite as a float: a banned (-inf) logit scaled to NaN and poisoned the whole distribution.
        Sampler sampler = Sampler.of(SamplingParams.DEFAULTS.withSampling(1e39, 0, 1.0, 11));
        int[] counts = draw(sampler, new float[] {1.0f, Float.NEGATIVE_INFINITY, 2.0f}, 3_000);
        assertThat(counts[1]).isZero();
        assertThat(counts[0]).as("uniform over the allowed tokens").isPositive();
        assertThat(counts[2]).isPositive();
    }

    @Test
    void topKKeepsOnlyTheKMostLikely() {
        int[] counts = draw(new TopKTopPSampler(1f, 2, 1.0, new SplittableRandom(3)), LOGITS, 5_000);
        // ids 1 and 3 tie at the top; 2 (third best) must never be drawn
        assertThat(counts[0] + counts[2] + counts[4]).isZero();
        assertThat(counts[1]).isPositive();
        assertThat(counts[3]).isPositive();
    }

    @Test
    void topPKeepsTheSmallestNucleusReachingP() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4)}; // 1/7, 2/7, 4/7
        // top_p 0.5: 4/7 alone reaches it
        assertThat(draw(new TopKTopPSampler(1f, 0, 0.5, new SplittableRandom(4)), logits, 2_000)[2])
                .isEqualTo(2_000);
        // top_p 0.6: needs 4/7 + 2/7; 1/7 is cut, and the two kept keep their 1:2 ratio
        int[] counts = draw(new TopKTopPSampler(1f, 0, 0.6, new SplittableRandom(5)), logits, 30_000);
        assertThat(counts[0]).isZero();
        assertThat(counts[1] / 30_000.0).isCloseTo(1 / 3.0, within(0.015));
    }

    @Test
    void repetitionPenaltyDividesPositivesAndMultipliesNegatives() {
        float[] logits = {2.6f, -1.0f, 5.0f};
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(1);
        seen.set(7); // outside the vocabulary slice: ignored
        LogitsProcessors.repetitionPenalty(logits, seen, 1.3f);
        assertThat(logits).containsExactly(2.6f / 1.3f, -1.0f * 1.3f, 5.0f);
    }

    @Test
    void noRepeatNgramBansCompletionsOfSeenNgrams() {
        float[] logits = new float[6];
        int[] tokens = {1, 2, 3, 1, 2, 4, 1, 2};
        LogitsProcessors.noRepeatNgram(logits, tokens, tokens.length, 3);
        // trigrams (1,2,3) and (1,2,4) exist, the sequence ends in (1,2): 3 and 4 are banned
        assertThat(logits).containsExactly(0, 0, 0, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 0);
        float[] bigram = new float[6];
        LogitsProcessors.noRepeatNgram(bigram, tokens, tokens.length, 2);
        // last token 2 was followed by 3 and 4
        assertThat(bigram).containsExactly(0, 0, 0, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 0);
    }

    @Test
    void minNewTokensSuppressesEosUntilReached() {
        Sequence sequence = new Sequence(0, new int[] {5}, null, SamplingParams.greedy(4).withMinNewTokens(2));
        List<Integer> eos = List.of(2);
        float[] favoursEos = {0f, 0f, 9f, 1f};
        assertThat(sequence.choose(favoursEos.clone(), eos)).isEqualTo(3);
        assertThat(sequence.choose(favoursEos.clone(), eos)).isEqualTo(3);
        assertThat(sequence.finished()).isFalse();
        assertThat(sequence.choose(favoursEos.clone(), eos)).isEqualTo(2);
        assertThat(sequence.finished()).isTrue();
        assertThat(sequence.result().finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(sequence.result().tokenIds()).containsExactly(3, 3, 2);
    }

    @Test
    void invalidParametersAreRejectedWithTheirTakeoffNames() {
        assertThatThrownBy(() -> SamplingParams.DEFAULTS.withSampling(1.0, 0, 0.0, 1))
                .hasMessageContaining("sampling_topp");
        assertThatThrownBy(() -> SamplingParams.DEFAULTS.withMaxNewTokens(0)).hasMessageContaining("max_new_tokens");
        assertThatThrownBy(() -> SamplingParams.greedy(3).withMinNewTokens(4)).hasMessageContaining("min_new_tokens");
    }

    private static int[] draw(Sampler sampler, float[] logits, int times) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < times; i++) {
            counts[sampler.sample(logits.clone())]++;
        }
        return counts;
    }
}
