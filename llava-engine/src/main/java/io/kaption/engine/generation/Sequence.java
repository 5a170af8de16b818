package io.kaption.engine.generation;

import io.kaption.engine.generation.constraint.ConstrainedRow;
import io.kaption.engine.generation.constraint.TokenAutomaton;
import io.kaption.engine.lora.LoraAdapter;
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
    /** The output constraint's state, or null for free text. */
    private final ConstrainedRow constraint;
    /** The LoRA adapter of this row (null: the base model), held until the row ends. */
    private LoraAdapter adapter;
    private String error;
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
        this(request, expandedIds, images, params, null);
    }

    /** @param constraint the automaton the output must follow ({@code regex_string}, {@code json_schema}), or null */
    public Sequence(int request, int[] expandedIds, List<PixelValues> images, SamplingParams params,
            TokenAutomaton constraint) {
        this(request, expandedIds, images, params, constraint, null);
    }

    /** @param adapter the LoRA adapter to decode with (acquired; the row releases it when it ends), or null */
    public Sequence(int request, int[] expandedIds, List<PixelValues> images, SamplingParams params,
            TokenAutomaton constraint, LoraAdapter adapter) {
        this.request = request;
        this.adapter = adapter;
        this.constraint = constraint == null ? null : constraint.newRow();
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

    LoraAdapter adapter() {
        return adapter;
    }

    /** Lets go of the adapter (once): the row finished or its batch is dropped. */
    void releaseAdapter() {
        if (adapter != null) {
            adapter.release();
            adapter = null;
        }
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
        releaseAdapter();
    }

    /**
     * Applies the logits processors, then the output constraint's mask (last, so that it always holds), picks the
     * next id, and records it; returns it.
     */
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
        if (constraint != null && !constraint.mask(logits, eosIds)) {
            // No token can write what the constraint needs next: stop with an error rather than break it.
            error = "the output constraint cannot be continued: no token of this vocabulary writes a character it "
                    + "allows next";
            finishReason = FinishReason.ERROR;
            releaseAdapter();
            tokens[length++] = eosIds.get(0);
            return eosIds.get(0);
        }
        int token = sampler.sample(logits);
        if (constraint != null) {
            constraint.advance(token);
        }
        tokens[length++] = token;
        seen.set(token);
        if (eosIds.contains(token)) {
            finishReason = FinishReason.EOS;
        } else if (length - promptLength >= params.maxNewTokens()) {
            finishReason = FinishReason.LENGTH;
        }
        if (finishReason != null) {
            releaseAdapter();
        }
        return token;
    }

    public GenerationResult result() {
        return new GenerationResult(Arrays.copyOfRange(tokens, promptLength, length), finishReason, promptLength,
                error);
    }
}
