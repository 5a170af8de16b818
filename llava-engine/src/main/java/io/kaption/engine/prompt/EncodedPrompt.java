package io.kaption.engine.prompt;

import java.util.Arrays;

/**
 * A tokenized prompt holding one image token ({@code imageTokenId}) where the image features go — the unexpanded
 * form of the original LLaVA code and of older transformers — or none for a text-only request. The model replaces
 * that id by the image's feature rows, so the sequence it runs is {@link #length(int)} long.
 *
 * @param text         the rendered prompt string that was tokenized (before any truncation)
 * @param ids          token ids, BOS first when the tokenizer adds one
 * @param imageTokenId the id marking the image position
 */
public record EncodedPrompt(String text, long[] ids, long imageTokenId) {

    public EncodedPrompt {
        long images = Arrays.stream(ids).filter(id -> id == imageTokenId).count();
        if (images > 1) {
            throw new PromptException("a prompt holds at most one image token, found " + images);
        }
    }

    /** Whether the prompt has an image token (text-only prompts have none). */
    public boolean hasImage() {
        return Arrays.stream(ids).anyMatch(id -> id == imageTokenId);
    }

    /** Index of the image token in {@link #ids()}. */
    public int imagePosition() {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageTokenId) {
                return i;
            }
        }
        throw new IllegalStateException("no image token");
    }

    /**
     * Length of the sequence the model runs once the image token becomes {@code imageTokens} feature rows
     * ({@code imageTokens} is ignored for text-only prompts).
     */
    public int length(int imageTokens) {
        return hasImage() ? ids.length - 1 + imageTokens : ids.length;
    }

    /** The ids with the image token repeated {@code imageTokens} times (what transformers' processors emit). */
    public long[] expandedIds(int imageTokens) {
        if (!hasImage()) {
            return ids.clone();
        }
        int at = imagePosition();
        long[] out = new long[length(imageTokens)];
        System.arraycopy(ids, 0, out, 0, at);
        Arrays.fill(out, at, at + imageTokens, imageTokenId);
        System.arraycopy(ids, at + 1, out, at + imageTokens, ids.length - at - 1);
        return out;
    }

    /**
     * Drops the earliest text tokens until {@link #length(int)} is at most {@code maxTokens}, keeping a leading BOS
     * ({@code bosId}, -1 for none), the image token and the end of the prompt, where the chat template asks for the
     * answer.
     *
     * @throws PromptException when even BOS plus the image does not fit
     */
    public EncodedPrompt truncateLeft(int maxTokens, int imageTokens, long bosId) {
        int excess = length(imageTokens) - maxTokens;
        if (excess <= 0) {
            return this;
        }
        boolean keepBos = ids.length > 0 && ids[0] == bosId;
        int removable = ids.length - (hasImage() ? 1 : 0) - (keepBos ? 1 : 0);
        if (excess > removable) {
            throw new PromptException("prompt limit " + maxTokens + " is below the " + (length(imageTokens) - removable)
                    + " tokens the " + (hasImage() ? "image alone needs" : "prompt needs at least"));
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
        return "EncodedPrompt[" + ids.length + " ids, " + (hasImage() ? "image at " + imagePosition() : "no image") + "]";
    }
}
