package io.kaption.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.generation.GenerationBatch;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.Sequence;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.lora.LoraAdapters;
import io.kaption.engine.vision.PixelValues;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the CLI and the Kafka worker call: a LLaVA checkpoint loaded once, generating for lists of requests. Not
 * thread-safe: one {@link #generate} at a time.
 */
public final class LlavaEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlavaEngine.class);

    /** Compute precision; weights are cast once at load. */
    public enum Precision {
        FLOAT32(DataType.FLOAT32), FLOAT16(DataType.FLOAT16);

        final DataType dataType;

        Precision(DataType dataType) {
            this.dataType = dataType;
        }
    }

    /**
     * @param precision    compute dtype
     * @param visionTower  CLIP directory overriding {@code mm_vision_tower} of original checkpoints, or null
     * @param maxBatchSize rows decoded together; further requests join as rows finish
     * @param prefillTokensPerPass the most prompt tokens (rows × padded length) one prefill forward pass takes:
     *                     rows joining together beyond it are prefilled in several passes of whole rows (at least
     *                     one row each), into the same KV cache
     */
    public record Options(Precision precision, Path visionTower, int maxBatchSize, int prefillTokensPerPass) {

        /**
         * On the CPU a batch-16 prefill of 283-token rows in one pass took 1.7× the time of the same rows in passes of
         * at most 1,024 tokens (docs/PERFORMANCE.md): a pass's largest activations (the gate/up projection's) stay
         * small enough for the allocator to reuse its memory instead of mapping fresh pages for each of them.
         */
        public static final int DEFAULT_PREFILL_TOKENS_PER_PASS = 1024;

        public static final Options DEFAULTS = new Options(Precision.FLOAT32, null, 16);

        public Options {
            Objects.requireNonNull(precision, "precision");
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be >= 1");
            }
            if (prefillTokensPerPass < 1) {
                throw new IllegalArgumentException("prefillTokensPerPass must be >= 1");
            }
        }

        public Options(Precision precision, Path visionTower, int maxBatchSize) {
            this(precision, visionTower, maxBatchSize, DEFAULT_PREFILL_TOKENS_PER_PASS);
        }
    }

    private final LlavaModel model;
    private final Options options;

    private LlavaEngine(LlavaModel model, Options options) {
        this.model = model;
        this.options = options;
    }

    public static LlavaEngine load(Path directory, Options options) {
        return new LlavaEngine(LlavaModel.load(directory, options.visionTower(), options.precision().dataType),
                options);
    }

    public LlavaConfig config() {
        return model.config();
    }

    /**
     * The LoRA adapters of {@code directory} for this model, loaded on first use, at most {@code maxLoaded} kept
     * (see {@link LoraAdapters}); closed with the engine.
     */
    public LoraAdapters loraAdapters(Path directory, int maxLoaded) {
        return new LoraAdapters(directory, maxLoaded, model.config().text(), model.manager(), model.computeType());
    }

    /** For tests that watch native memory. */
    LlavaModel model() {
        return model;
    }

    Options options() {
        return options;
    }

    /**
     * Generates for every request; a request that is invalid (prompt too long, image not matching the model)
     * fails alone with {@link io.kaption.engine.generation.FinishReason#ERROR}. Results are in request order.
     * Requests are decoded {@code maxBatchSize} rows at a time, waiting ones joining as rows finish.
     */
    public List<GenerationResult> generate(List<GenerationRequest> requests, TokenListener listener) {
        GenerationResult[] results = new GenerationResult[requests.size()];
        TokenListener collecting = new TokenListener() {
            @Override
            public void onToken(int request, int token) {
                listener.onToken(request, token);
            }

            @Override
            public void onFinish(int request, GenerationResult result) {
                results[request] = result;
                listener.onFinish(request, result);
            }
        };
        try (GenerationSession session = newSession(collecting)) {
            for (int i = 0; i < requests.size(); i++) {
                try {
                    session.submit(i, requests.get(i));
                } catch (IllegalArgumentException e) {
                    LOG.info("request {} rejected: {}", i, e.getMessage());
                    collecting.onFinish(i, GenerationResult.failed(e.getMessage(), 0));
                }
            }
            while (!session.isIdle()) {
                session.step();
            }
        }
        return Arrays.asList(results);
    }

    /** A long-lived continuous batch on this engine: requests join whenever they come, see {@link GenerationSession}. */
    public GenerationSession newSession(TokenListener listener) {
        return new GenerationSession(this, options.maxBatchSize(), listener);
    }

    /** Logits at the last prompt position (those of the first generated token), float32 {@code [vocab]}. */
    public float[] promptLogits(int[] promptIds, PixelValues image) {
        Sequence sequence = prepare(0, new GenerationRequest(promptIds, image, SamplingParams.greedy(1)));
        try (GenerationBatch batch = new GenerationBatch(model, TokenListener.NONE, options.prefillTokensPerPass())) {
            return batch.prefillLogits(List.of(sequence))[0];
        }
    }

    /** CLIP features of one image (the projector's input), {@code [patches, N, Dv]} flattened. */
    public float[] visionFeatures(PixelValues image) {
        model.imageFeatureCount(image);
        try (NDManager scope = model.manager().newSubManager()) {
            return toFloat32(model.visionFeatures(List.of(image), scope));
        }
    }

    /** Features written into the image-token positions, {@code [N, D]} flattened. */
    public float[] imageFeatures(PixelValues image) {
        model.imageFeatureCount(image);
        try (NDManager scope = model.manager().newSubManager()) {
            return toFloat32(model.imageFeatures(List.of(image), scope).get(0));
        }
    }

    private static float[] toFloat32(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Validates a request and expands its image token; throws {@link RequestRejectedException} with the reason. */
    Sequence prepare(int index, GenerationRequest request) {
        LlavaConfig config = model.config();
        int imageToken = config.imageTokenId();
        int[] ids = request.promptIds();
        int imageTokens = (int) Arrays.stream(ids).filter(id -> id == imageToken).count();
        int[] expanded = ids;
        List<PixelValues> images = request.images();
        if (images.isEmpty()) {
            if (imageTokens > 0) {
                throw new RequestRejectedException(FailureKind.INVALID_PROMPT,
                        "the prompt has an image token but the request has no image");
            }
        } else {
            int[] features = new int[images.size()];
            try {
                for (int i = 0; i < features.length; i++) {
                    features[i] = model.imageFeatureCount(images.get(i));
                }
            } catch (IllegalArgumentException e) {
                throw new RequestRejectedException(FailureKind.INVALID_IMAGE, e.getMessage(), e);
            }
            int total = Arrays.stream(features).sum();
            if (imageTokens == images.size() && total != imageTokens) {
                expanded = expand(ids, imageToken, features);
            } else if (imageTokens != total) {
                throw new RequestRejectedException(FailureKind.INVALID_PROMPT, "the prompt has " + imageTokens
                        + " image tokens; expected " + (images.size() == 1 ? "one" : images.size()) + " (or " + total
                        + ", already expanded) for " + (images.size() == 1 ? "one image" : images.size() + " images"));
            }
        }
        for (int id : expanded) {
            if (id != imageToken && (id < 0 || id >= config.text().vocabSize())) {
                throw new RequestRejectedException(FailureKind.INVALID_PROMPT,
                        "prompt token id " + id + " is outside the vocabulary");
            }
        }
        int promptMax = request.params().promptMaxTokens();
        if (promptMax > 0 && expanded.length > promptMax) {
            throw new RequestRejectedException(FailureKind.PROMPT_TOO_LONG, "the prompt has " + expanded.length
                    + " tokens (image included), more than prompt_max_tokens " + promptMax);
        }
        int maxPositions = config.text().maxPositions();
        if ((long) expanded.length + request.params().maxNewTokens() > maxPositions) { // no int overflow
            throw new RequestRejectedException(FailureKind.PROMPT_TOO_LONG, "prompt (" + expanded.length
                    + " tokens) plus max_new_tokens (" + request.params().maxNewTokens() + ") exceeds the model's "
                    + maxPositions + " positions");
        }
        return new Sequence(index, expanded, images, request.params(), request.constraint(), request.adapter());
    }

    // Image token i becomes counts[i] of them.
    private static int[] expand(int[] ids, int imageToken, int[] counts) {
        int[] out = new int[ids.length - counts.length + Arrays.stream(counts).sum()];
        int o = 0;
        int image = 0;
        for (int id : ids) {
            if (id == imageToken) {
                Arrays.fill(out, o, o + counts[image], imageToken);
                o += counts[image++];
            } else {
                out[o++] = id;
            }
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
