package io.kaption.engine.generation;

import io.kaption.engine.vision.PixelValues;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * One row of a {@link GenerationBatch}: its whole token sequence (expanded prompt, then generated ids), its
 * decoding state, and where its keys start on the batch's shared time axis.
 */
public final class Sequence {

    private final int request;
    private final List<PixelValues> images;
    private final SamplingParams params;
    private final Sampler sampler;
    private final int[] tokens;
    private final int promptLength;
    private final BitSet seen;
    private int length;
    /** First KV-cache slot of this row; earlier slots are padding. */
    int cacheStart;
    private FinishReason finishReason;

    /**
     * @param request       index reported to the {@link TokenListener}
     * @param expandedIds   prompt ids with one image token per image feature
     * @param images        the images whose features fill the image tokens, in order (null or empty: none)
     */
    public Sequence(int request, int[] expandedIds, List<PixelValues> images, SamplingParams params) {
        this.request = request;
        this.images = images == null ? List.of() : List.copyOf(images);
        this.params = params;
        this.sampler = Sampler.of(params);
        this.tokens = Arrays.copyOf(expandedIds, expandedIds.length + params.maxNewTokens());
        this.promptLength = expandedIds.length;
        this.length = expandedIds.length;
        this.seen = new BitSet();
        for (int id : expandedIds) {
            if (id >= 0) {
                seen.set(id);
            }
        }
    }

    public int request() {
        return request;
    }

    List<PixelValues> images() {
        return images;
    }

    int[] promptIds() {
        return Arrays.copyOf(tokens, promptLength);
    }

    int promptLength() {
        return promptLength;
    }

    int lastToken() {
        return tokens[length - 1];
    }

    /** RoPE position of the last token. */
    int lastPosition() {
        return length - 1;
    }

    int remainingTokens() {
        return params.maxNewTokens() - (length - promptLength);
    }

    boolean finished() {
        return finishReason != null;
    }

    /** Ends the sequence where it is; a finished one keeps its reason. */
    public void cancel() {
        if (finishReason == null) {
            finishReason = FinishReason.CANCELLED;
        }
    }

    /** Applies the logits processors, picks the next id, and records it; returns it. */
    int choose(float[] logits, List<Integer> eosIds) {
        if (params.repetitionPenalty() != 1.0) {
            LogitsProcessors.repetitionPenalty(logits, seen, (float) params.repetitionPenalty());
        }
        if (params.noRepeatNgramSize() > 0) {
            LogitsProcessors.noRepeatNgram(logits, tokens, length, params.noRepeatNgramSize());
        }
        if (length - promptLength < params.minNewTokens()) {
            LogitsProcessors.suppress(logits, eosIds);
        }
        int token = sampler.sample(logits);
        tokens[length++] = token;
        seen.set(token);
        if (eosIds.contains(token)) {
            finishReason = FinishReason.EOS;
        } else if (length - promptLength >= params.maxNewTokens()) {
            finishReason = FinishReason.LENGTH;
        }
        return token;
    }

    public GenerationResult result() {
        return new GenerationResult(Arrays.copyOfRange(tokens, promptLength, length), finishReason, promptLength,
                null);
    }
}
