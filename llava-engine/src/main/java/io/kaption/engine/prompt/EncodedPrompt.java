package io.kaption.engine.prompt;

import java.util.Arrays;

/**
 * A tokenized prompt holding one image token ({@code imageTokenId}) per image where that image's features go — the
 * unexpanded form of the original LLaVA code and of older transformers — or none for a text-only request. The model
 * replaces each of those ids by its image's feature rows, so the sequence it runs is {@link #length(int)} long.
 *
 * @param text         the rendered prompt string that was tokenized (before any truncation)
 * @param ids          token ids, BOS first when the tokenizer adds one
 * @param imageTokenId the id marking the image position
 */
public record EncodedPrompt(String text, long[] ids, long imageTokenId) {

    /** Whether the prompt has an image token (text-only prompts have none). */
    public boolean hasImage() {
        return imageCount() > 0;
    }

    /** How many images the prompt holds: its image tokens. */
    public int imageCount() {
        return (int) Arrays.stream(ids).filter(id -> id == imageTokenId).count();
    }

    /** Index of the first image token in {@link #ids()}. */
    public int imagePosition() {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageTokenId) {
                return i;
            }
        }
        throw new IllegalStateException("no image token");
    }

    /**
     * Length of the sequence the model runs once the image tokens become {@code imageTokens} feature rows in all
     * ({@code imageTokens} is ignored for text-only prompts).
     */
    public int length(int imageTokens) {
        return hasImage() ? ids.length - imageCount() + imageTokens : ids.length;
    }

    /**
     * The ids with image token {@code i} repeated {@code imageTokens[i]} times (what transformers' processors emit);
     * one count per image.
     */
    public long[] expandedIds(int... imageTokens) {
        if (!hasImage()) {
            return ids.clone();
        }
        if (imageTokens.length != imageCount()) {
            throw new IllegalArgumentException("the prompt has " + imageCount() + " images, got " + imageTokens.length
                    + " feature counts");
        }
        long[] out = new long[length(Arrays.stream(imageTokens).sum())];
        int o = 0;
        int image = 0;
        for (long id : ids) {
            if (id == imageTokenId) {
                Arrays.fill(out, o, o + imageTokens[image], imageTokenId);
                o += imageTokens[image++];
            } else {
                out[o++] = id;
            }
        }
        return out;
    }

    /**
     * Drops the earliest text tokens until {@link #length(int)} is at most {@code maxTokens}, keeping a leading BOS
     * ({@code bosId}, -1 for none), the image tokens ({@code imageTokens} feature rows in all) and the end of the
     * prompt, where the chat template asks for the answer.
     *
     * @throws PromptException when even BOS plus the image does not fit
     */
    public EncodedPrompt truncateLeft(int maxTokens, int imageTokens, long bosId) {
        int excess = length(imageTokens) - maxTokens;
        if (excess <= 0) {
            return this;
        }
        boolean keepBos = ids.length > 0 && ids[0] == bosId;
        int removable = ids.length - imageCount() - (keepBos ? 1 : 0);
        if (excess > removable) {
            throw new PromptException("prompt limit " + maxTokens + " is below the " + (length(imageTokens) - removable)
                    + " tokens the " + (!hasImage() ? "prompt needs at least"
                    : imageCount() == 1 ? "image alone needs" : "images alone need"));
        }
        long[] out = new long[ids.length - excess];
        int n = 0;
        int dropped = 0;
        for (int i = 0; i < ids.length; i++) {
            boolean protectedToken = (i == 0 && keepBos) || ids[i] == imageTokenId;
            if (!protectedToken && dropped < excess) {
                dropped++;
            } else {
                out[n++] = ids[i];
            }
        }
        return new EncodedPrompt(text, out, imageTokenId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedPrompt other && text.equals(other.text) && Arrays.equals(ids, other.ids)
                && imageTokenId == other.imageTokenId;
    }

    @Override
    public int hashCode() {
        return 31 * text.hashCode() + Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "EncodedPrompt[" + ids.length + " ids, " + (hasImage() ? imageCount() + " image(s), first at " + imagePosition() : "no image") + "]";
    }
}
