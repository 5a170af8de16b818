package io.kaption.engine.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.kaption.engine.LlavaModel;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.llama.KvCache;
import io.kaption.engine.lora.LoraRows;
import io.kaption.engine.vision.PixelValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows decoding together, step by step. Rows are independent sequences sharing one KV-cache time axis: a row
 * that joined later is left-padded (its keys start at its own {@code cacheStart}, earlier slots are masked and
 * its RoPE positions count from its own first token), so rows can join ({@link #add}) and leave (when finished)
 * between any two steps — continuous batching.
 */
public final class GenerationBatch implements AutoCloseable {

    private final LlavaModel model;
    private final TokenListener listener;
    private final NDManager manager;
    private final int prefillTokensPerPass;
    private final List<Sequence> rows = new ArrayList<>();
    private KvCache cache;
    /** Slots used on the shared time axis. */
    private int length;

    /** @param prefillTokensPerPass see {@link io.kaption.engine.LlavaEngine.Options#prefillTokensPerPass()} */
    public GenerationBatch(LlavaModel model, TokenListener listener, int prefillTokensPerPass) {
        this.model = model;
        this.listener = listener;
        this.prefillTokensPerPass = prefillTokensPerPass;
        this.manager = model.manager().newSubManager();
    }

    public int size() {
        return rows.size();
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /**
     * Prefills {@code joining} (one forward pass over their left-padded prompts, images scattered in), picks
     * each one's first token, and merges them into the running rows.
     */
    public void add(List<Sequence> joining) {
        if (joining.isEmpty()) {
            return;
        }
        int padded = joining.stream().mapToInt(Sequence::promptLength).max().orElseThrow();
        int capacity = padded + joining.stream().mapToInt(Sequence::remainingTokens).max().orElseThrow();
        KvCache joiningCache = newCache(joining.size(), capacity);
        float[][] logits;
        try {
            logits = prefillInPasses(joining, padded, joiningCache);
        } catch (RuntimeException e) {
            joiningCache.close();
            joining.forEach(Sequence::releaseAdapter);
            throw e;
        }
        merge(joining, joiningCache, padded);
        chooseAndEmit(logits, rows.size() - joining.size());
    }

    /** Raw logits at the last prompt position of each sequence, without generating (for scoring and tests). */
    public float[][] prefillLogits(List<Sequence> sequences) {
        int padded = sequences.stream().mapToInt(Sequence::promptLength).max().orElseThrow();
        try (KvCache scratch = newCache(sequences.size(), padded)) {
            return prefillInPasses(sequences, padded, scratch);
        }
    }

    /** Prefills in passes of whole rows, at most {@link #prefillTokensPerPass} tokens each (at least one row). */
    private float[][] prefillInPasses(List<Sequence> joining, int padded, KvCache target) {
        int rowsPerPass = Math.max(1, prefillTokensPerPass / padded);
        if (rowsPerPass >= joining.size()) {
            return prefill(joining, padded, target);
        }
        float[][] logits = new float[joining.size()][];
        for (int from = 0; from < joining.size(); from += rowsPerPass) {
            int to = Math.min(joining.size(), from + rowsPerPass);
            try (KvCache rows = target.rows(from, to)) {
                float[][] part = prefill(joining.subList(from, to), padded, rows);
                System.arraycopy(part, 0, logits, from, part.length);
            }
        }
        return logits;
    }

    private KvCache newCache(int rowCount, int capacity) {
        TextConfig text = model.config().text();
        return new KvCache(manager, text.numLayers(), rowCount, text.numKvHeads(), text.headDim(), capacity,
                model.computeType());
    }

    /** One forward pass over the left-padded prompts, keys and values into slots {@code [0, padded)}. */
    private float[][] prefill(List<Sequence> joining, int padded, KvCache target) {
        TextConfig text = model.config().text();
        int rowsJoining = joining.size();
        try (NDManager scope = manager.newSubManager()) {
            NDArray hidden = promptEmbeddings(joining, padded, scope);
            int[] positions = new int[rowsJoining * padded];
            boolean anyPadding = false;
            for (int r = 0; r < rowsJoining; r++) {
                int pad = padded - joining.get(r).promptLength();
                anyPadding |= pad > 0;
                for (int i = 0; i < padded; i++) {
                    // transformers' position_ids = cumsum(mask) - 1, padding set to 1
                    positions[r * padded + i] = i >= pad ? i - pad : 1;
                }
            }
            NDArray maskArray = null; // plain causal attention
            if (anyPadding || !inWindow(padded - 1, text)) {
                boolean[] mask = new boolean[rowsJoining * padded * padded];
                for (int r = 0; r < rowsJoining; r++) {
                    int pad = padded - joining.get(r).promptLength();
                    for (int i = 0; i < padded; i++) {
                        for (int j = 0; j < padded; j++) {
                            // a padding position sees only itself: no row of the mask may be empty
                            mask[(r * padded + i) * padded + j] = i >= pad
                                    ? j >= pad && j <= i && inWindow(i - j, text) : j == i;
                        }
                    }
                }
                maskArray = scope.create(mask, new Shape(rowsJoining, 1, padded, padded));
            }
            return toRows(model.decoder().forward(hidden, positions, maskArray, target, 0, loraRows(joining, scope),
                    scope));
        }
    }

    /** One decode step for every row: feed each row's last token, pick the next. */
    public void step() {
        if (rows.isEmpty()) {
            return;
        }
        TextConfig text = model.config().text();
        int batch = rows.size();
        int slot = length;
        cache.ensureCapacity(slot + 1, slot);
        float[][] logits;
        try (NDManager scope = manager.newSubManager()) {
            long[] ids = new long[batch];
            int[] positions = new int[batch];
            boolean anyPadding = false;
            for (int r = 0; r < batch; r++) {
                Sequence row = rows.get(r);
                ids[r] = row.lastToken();
                positions[r] = row.lastPosition();
                anyPadding |= row.cacheStart > 0;
            }
            NDArray maskArray = null; // every row sees every slot
            if (anyPadding || !inWindow(slot, text)) {
                boolean[] mask = new boolean[batch * (slot + 1)];
                for (int r = 0; r < batch; r++) {
                    for (int j = 0; j <= slot; j++) {
                        mask[r * (slot + 1) + j] = j >= rows.get(r).cacheStart && inWindow(slot - j, text);
                    }
                }
                maskArray = scope.create(mask, new Shape(batch, 1, 1, slot + 1));
            }
            NDArray hidden = model.decoder().embed(scope.create(ids, new Shape(batch, 1)));
            logits = toRows(model.decoder().forward(hidden, positions, maskArray, cache, slot, loraRows(rows, scope),
                    scope));
        }
        length = slot + 1;
        chooseAndEmit(logits, 0);
    }

    /**
     * Stops the row of {@code request} now: it leaves the batch and the listener gets its result with
     * {@link FinishReason#CANCELLED} and the ids generated so far.
     *
     * @return false when no running row has that request index
     */
    public boolean cancel(int request) {
        for (Sequence row : rows) {
            if (row.request() == request) {
                row.cancel();
                retireFinished();
                return true;
            }
        }
        return false;
    }

    private static LoraRows loraRows(List<Sequence> sequences, NDManager scope) {
        return LoraRows.of(sequences.stream().map(Sequence::adapter).toList(), scope);
    }

    private static boolean inWindow(int distance, TextConfig text) {
        return text.slidingWindow() == 0 || distance < text.slidingWindow();
    }

    /**
     * {@code [rows, padded, D]}: each row's text embeddings with its images' features scattered in, left-padded. A
     * row's image-token positions take the rows of its images' features in order, image after image.
     */
    private NDArray promptEmbeddings(List<Sequence> joining, int padded, NDManager scope) {
        List<PixelValues> images = new ArrayList<>();
        joining.forEach(s -> images.addAll(s.images()));
        List<NDArray> features = model.imageFeatures(images, scope);
        int imageToken = model.config().imageTokenId();
        long hiddenSize = model.config().text().hiddenSize();
        NDList rowsOut = new NDList();
        int nextImage = 0;
        for (Sequence row : joining) {
            int[] ids = row.promptIds();
            int rowImages = row.images().size();
            NDArray image = rowImages == 0 ? null
                    : concat(new NDList(features.subList(nextImage, nextImage + rowImages)));
            nextImage += rowImages;
            long[] textIds = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                textIds[i] = ids[i] == imageToken ? 0 : ids[i];
            }
            NDArray embedded = model.decoder().embed(scope.create(textIds));
            NDList pieces = new NDList();
            int pad = padded - ids.length;
            if (pad > 0) {
                pieces.add(embedded.get("0:1").zerosLike().repeat(0, pad));
            }
            int imageRow = 0;
            int start = 0;
            while (start < ids.length) {
                int end = start;
                boolean isImage = ids[start] == imageToken;
                while (end < ids.length && (ids[end] == imageToken) == isImage) {
                    end++;
                }
                if (isImage) {
                    pieces.add(image.get("{}:{}", imageRow, imageRow + end - start));
                    imageRow += end - start;
                } else {
                    pieces.add(embedded.get("{}:{}", start, end));
                }
                start = end;
            }
            rowsOut.add(concat(pieces).reshape(1, padded, hiddenSize));
        }
        return concat(rowsOut);
    }

    /** Joins freshly prefilled rows (their keys in slots {@code [0, padded)}) to the running ones. */
    private void merge(List<Sequence> joining, KvCache joiningCache, int padded) {
        if (rows.isEmpty()) {
            if (cache != null) {
                cache.close();
            }
            cache = joiningCache;
            length = padded;
            for (Sequence row : joining) {
                row.cacheStart = padded - row.promptLength();
            }
        } else {
            int merged = Math.max(length, padded);
            int remaining = 0;
            for (Sequence row : rows) {
                remaining = Math.max(remaining, row.remainingTokens());
            }
            for (Sequence row : joining) {
                remaining = Math.max(remaining, row.remainingTokens());
            }
            KvCache combined = KvCache.concatRows(cache, length, joiningCache, padded, merged + remaining, manager);
            cache.close();
            joiningCache.close();
            cache = combined;
            for (Sequence row : rows) {
                row.cacheStart += merged - length;
            }
            for (Sequence row : joining) {
                row.cacheStart = merged - row.promptLength();
            }
            length = merged;
        }
        rows.addAll(joining);
    }

    /** Picks a token for rows {@code [first, first + logits.length)}, streams it, and retires finished rows. */
    private void chooseAndEmit(float[][] logits, int first) {
        List<Integer> eos = model.config().eosTokenIds();
        boolean anyFinished = false;
        for (int r = 0; r < logits.length; r++) {
            Sequence row = rows.get(first + r);
            int token = row.choose(logits[r], eos);
            listener.onToken(row.request(), token);
            anyFinished |= row.finished();
        }
        if (anyFinished) {
            retireFinished();
        }
    }

    private void retireFinished() {
        List<Sequence> kept = new ArrayList<>();
        for (Sequence row : rows) {
            if (row.finished()) {
                listener.onFinish(row.request(), row.result());
            } else {
                kept.add(row);
            }
        }
        if (kept.isEmpty()) {
            rows.clear();
            cache.close();
            cache = null;
            length = 0;
            return;
        }
        long[] keptIndices = new long[kept.size()];
        int from = Integer.MAX_VALUE;
        for (int i = 0; i < kept.size(); i++) {
            keptIndices[i] = rows.indexOf(kept.get(i));
            from = Math.min(from, kept.get(i).cacheStart);
        }
        // Slots before every remaining row's start are padding for all of them: drop them too.
        cache.retain(keptIndices, from, length);
        for (Sequence row : kept) {
            row.cacheStart -= from;
        }
        length -= from;
        rows.clear();
        rows.addAll(kept);
    }

    private static NDArray concat(NDList pieces) {
        return pieces.size() == 1 ? pieces.singletonOrThrow() : NDArrays.concat(pieces);
    }

    private static float[][] toRows(NDArray logits) {
        int batch = (int) logits.getShape().get(0);
        int vocab = (int) logits.getShape().get(1);
        float[] flat = logits.toFloatArray();
        float[][] out = new float[batch][];
        for (int r = 0; r < batch; r++) {
            out[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
        }
        return out;
    }

    @Override
    public void close() {
        rows.forEach(Sequence::releaseAdapter);
        rows.clear();
        manager.close();
    }
}
