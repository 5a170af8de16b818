package io.kaption.engine;

import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.generation.constraint.TokenAutomaton;
import io.kaption.engine.generation.stream.Detokenizer;
import io.kaption.engine.generation.stream.DetokenizerStream;
import io.kaption.engine.lora.LoraAdapter;
import io.kaption.engine.lora.LoraAdapterException;
import io.kaption.engine.lora.LoraAdapters;
import io.kaption.engine.prompt.Conversation;
import io.kaption.engine.prompt.ConversationFormat;
import io.kaption.engine.prompt.EncodedPrompt;
import io.kaption.engine.prompt.LlavaTokenizer;
import io.kaption.engine.prompt.PromptEncoder;
import io.kaption.engine.prompt.PromptException;
import io.kaption.engine.prompt.SpecialTokenIds;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.vision.preprocess.ImageDecoder;
import io.kaption.engine.vision.preprocess.ImageProcessor;
import io.kaption.engine.vision.preprocess.RgbImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests in, text out: one checkpoint's engine, image processor, prompt encoder and streaming detokenizer, loaded
 * together. What the CLI and the Kafka worker call. Not thread-safe: one {@link #generate} at a time.
 *
 * <p>A request that cannot run (undecodable image, bad prompt, prompt too long for the model) gets a result with
 * {@link FinishReason#ERROR} and a message; the other requests of the same call go on.
 *
 * <p>{@code prompt_max_tokens}: like Takeoff, an over-long prompt is truncated, not refused. The earliest text tokens
 * are dropped ({@link EncodedPrompt#truncateLeft}), keeping BOS, the images and the end of the prompt, where the chat
 * template asks for the answer; the limit counts the images' feature positions.
 */
public final class LlavaPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlavaPipeline.class);
    private static final int MAX_CACHED_CONSTRAINTS = 64;

    /**
     * @param precision          compute dtype
     * @param visionTower        CLIP directory overriding {@code mm_vision_tower} of original checkpoints, or null
     * @param maxBatchSize       rows decoded together; further requests join as rows finish
     * @param conversationFormat forces a LLaVA conversation format instead of the checkpoint's chat template, or null
     * @param loraDir            the directory whose sub-directories are the LoRA adapters {@code lora_id} names, or
     *                           null: requests with a {@code lora_id} are refused
     * @param maxLoadedAdapters  LoRA adapters kept loaded (least recently used ones are freed)
     * @param prefillTokensPerPass see {@link LlavaEngine.Options#prefillTokensPerPass()}
     */
    public record Options(LlavaEngine.Precision precision, Path visionTower, int maxBatchSize,
            ConversationFormat conversationFormat, Path loraDir, int maxLoadedAdapters, int prefillTokensPerPass) {

        public static final int DEFAULT_MAX_LOADED_ADAPTERS = 8;
        public static final Options DEFAULTS = new Options(LlavaEngine.Precision.FLOAT32, null, 8, null);

        public Options {
            Objects.requireNonNull(precision, "precision");
            if (maxLoadedAdapters < 1) {
                throw new IllegalArgumentException("maxLoadedAdapters must be >= 1");
            }
            if (prefillTokensPerPass < 1) {
                throw new IllegalArgumentException("prefillTokensPerPass must be >= 1");
            }
        }

        /** Without LoRA adapters. */
        public Options(LlavaEngine.Precision precision, Path visionTower, int maxBatchSize,
                ConversationFormat conversationFormat) {
            this(precision, visionTower, maxBatchSize, conversationFormat, null, DEFAULT_MAX_LOADED_ADAPTERS,
                    LlavaEngine.Options.DEFAULT_PREFILL_TOKENS_PER_PASS);
        }

        /** These options with the LoRA adapters of {@code directory} (null: none). */
        public Options withLora(Path directory, int maxLoaded) {
            return new Options(precision, visionTower, maxBatchSize, conversationFormat, directory, maxLoaded,
                    prefillTokensPerPass);
        }

        /** These options with another prefill pass budget. */
        public Options withPrefillTokensPerPass(int tokens) {
            return new Options(precision, visionTower, maxBatchSize, conversationFormat, loraDir, maxLoadedAdapters,
                    tokens);
        }
    }

    /**
     * One request, with Takeoff's fields: a text or a conversation, and its images.
     *
     * @param text            the user's text ({@code text}), or null for a conversation
     * @param conversation    the chat to answer, rendered with the checkpoint's chat template; or null for a text
     * @param useChatTemplate {@code use_chat_template} (texts only): wrap the text and its images in the checkpoint's
     *                        chat template; false uses it verbatim ({@code <image>} marks each image, else they go
     *                        right after BOS)
     * @param images          the encoded images (PNG, JPEG, …) in prompt order (a conversation's: the order of its
     *                        image parts); empty for a text-only request
     * @param params          sampling parameters, {@code prompt_max_tokens} included
     * @param constraint      what the output must match ({@code regex_string}, {@code json_schema}), or null
     * @param loraId          the LoRA adapter to answer with ({@code lora_id}), or null for the base model
     */
    public record Request(String text, Conversation conversation, boolean useChatTemplate, List<byte[]> images,
            SamplingParams params, OutputConstraint constraint, String loraId) {

        public Request {
            if ((text == null) == (conversation == null)) {
                throw new IllegalArgumentException("a request has a text or a conversation");
            }
            images = List.copyOf(images);
            Objects.requireNonNull(params, "params");
        }

        /** On the base model. */
        public Request(String text, Conversation conversation, boolean useChatTemplate, List<byte[]> images,
                SamplingParams params, OutputConstraint constraint) {
            this(text, conversation, useChatTemplate, images, params, constraint, null);
        }

        /** This request answered with the LoRA adapter {@code loraId} (null: the base model). */
        public Request withLora(String loraId) {
            return new Request(text, conversation, useChatTemplate, images, params, constraint, loraId);
        }

        /** A text or a conversation with its images, free text. */
        public Request(String text, Conversation conversation, boolean useChatTemplate, List<byte[]> images,
                SamplingParams params) {
            this(text, conversation, useChatTemplate, images, params, null);
        }

        /** A text about one image, or none when {@code image} is null. */
        public Request(String text, boolean useChatTemplate, byte[] image, SamplingParams params) {
            this(text, useChatTemplate, image, params, null);
        }

        /** A text about one image, or none when {@code image} is null, whose output follows {@code constraint}. */
        public Request(String text, boolean useChatTemplate, byte[] image, SamplingParams params,
                OutputConstraint constraint) {
            this(Objects.requireNonNull(text, "text"), null, useChatTemplate,
                    image == null ? List.of() : List.of(image), params, constraint);
        }

        /** A conversation and its images in the order of its image parts. */
        public static Request conversation(Conversation conversation, List<byte[]> images, SamplingParams params) {
            return conversation(conversation, images, params, null);
        }

        /** A conversation whose answer follows {@code constraint} (null: free text). */
        public static Request conversation(Conversation conversation, List<byte[]> images, SamplingParams params,
                OutputConstraint constraint) {
            return new Request(null, conversation, true, images, params, constraint);
        }
    }

    /**
     * What one request produced.
     *
     * @param text             the generated text ({@code decode(tokenIds, skip_special_tokens=True)}: no EOS)
     * @param tokenIds         generated ids; the EOS id is the last one when {@code finishReason} is EOS
     * @param promptTokenIds   the prompt as encoded (after any truncation), the image as ONE image token id; empty
     *                         when the request failed before encoding
     * @param finishReason     EOS, LENGTH, ERROR, or CANCELLED (text and ids are what was generated until then)
     * @param promptTokens     prompt length as the model ran it, image feature positions included (0 if rejected)
     * @param completionTokens {@code tokenIds.length}
     * @param error            why the request failed, or null
     * @param failure          the kind of failure when {@code finishReason} is ERROR, else null
     */
    public record Result(String text, int[] tokenIds, int[] promptTokenIds, FinishReason finishReason,
            int promptTokens, int completionTokens, String error, FailureKind failure) {

        static Result failed(FailureKind failure, String error) {
            return new Result("", new int[0], new int[0], FinishReason.ERROR, 0, 0, error, failure);
        }
    }

    /**
     * A request decoded, preprocessed and encoded by {@link #prepare}, ready for {@link Session#submit(Prepared)}; or
     * why it cannot run, thrown when it is submitted. Lets a caller do that work (JPEG decoding, resizing,
     * tokenizing) on its own threads ahead of the batch, instead of on the thread that drives the model.
     */
    public static final class Prepared {
        private final Request request;
        private final GenerationRequest generation;
        private final RuntimeException failure;

        private Prepared(Request request, GenerationRequest generation, RuntimeException failure) {
            this.request = request;
            this.generation = generation;
            this.failure = failure;
        }

        public Request request() {
            return request;
        }
    }

    /** Receives each request's text as it is generated, and its end. Called on the generating thread. */
    public interface Listener {

        Listener NONE = (request, text) -> {};

        /** @param request index of the request in the submitted list; {@code text} is never empty */
        void onText(int request, String text);

        default void onFinish(int request, Result result) {}
    }

    private final LlavaEngine engine;
    private final ImageProcessor imageProcessor;
    private final LlavaTokenizer tokenizer;
    private final PromptEncoder promptEncoder;
    private final SpecialTokenIds specialTokens;
    private final Detokenizer detokenizer;
    /** Null when the pipeline has no adapter directory. */
    private final LoraAdapters loraAdapters;
    private TokenAutomaton.Vocabulary constraintVocabulary;
    /** Token automata of recent constraints, by key: their masks are cached per state, worth keeping. */
    private final Map<String, TokenAutomaton> automata = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TokenAutomaton> eldest) {
            return size() > MAX_CACHED_CONSTRAINTS;
        }
    };

    private LlavaPipeline(LlavaEngine engine, ImageProcessor imageProcessor, LlavaTokenizer tokenizer,
            PromptEncoder promptEncoder, SpecialTokenIds specialTokens, Detokenizer detokenizer,
            LoraAdapters loraAdapters) {
        this.engine = engine;
        this.imageProcessor = imageProcessor;
        this.tokenizer = tokenizer;
        this.promptEncoder = promptEncoder;
        this.specialTokens = specialTokens;
        this.detokenizer = detokenizer;
        this.loraAdapters = loraAdapters;
    }

    /**
     * Loads everything a checkpoint directory needs.
     *
     * @throws IOException              when a file cannot be read
     * @throws IllegalArgumentException when the checkpoint is not usable, with the reason
     */
    public static LlavaPipeline load(Path modelDir, Options options) throws IOException {
        System.setProperty("ai.djl.offline", "true"); // nothing may download, tokenizer natives included
        LlavaTokenizer tokenizer = LlavaTokenizer.load(modelDir);
        try {
            Optional<Path> tower = Optional.ofNullable(options.visionTower());
            ImageProcessor imageProcessor = ImageProcessor.forCheckpoint(modelDir, tower);
            PromptEncoder encoder = PromptEncoder.forCheckpoint(modelDir, tokenizer,
                    Optional.ofNullable(options.conversationFormat()));
            SpecialTokenIds specialTokens = SpecialTokenIds.read(modelDir, tokenizer);
            Detokenizer detokenizer = Detokenizer.load(modelDir.resolve("tokenizer.json"));
            LlavaEngine engine = LlavaEngine.load(modelDir,
                    new LlavaEngine.Options(options.precision(), options.visionTower(), options.maxBatchSize(),
                            options.prefillTokensPerPass()));
            // Both read image_token_index (else -200); a mismatch would make every image prompt fail.
            if (engine.config().imageTokenId() != encoder.imageTokenId()) {
                engine.close();
                throw new IllegalStateException("prompt encoder writes image token " + encoder.imageTokenId()
                        + " but the model expects " + engine.config().imageTokenId());
            }
            LoraAdapters adapters = options.loraDir() == null ? null
                    : engine.loraAdapters(options.loraDir(), options.maxLoadedAdapters());
            return new LlavaPipeline(engine, imageProcessor, tokenizer, encoder, specialTokens, detokenizer,
                    adapters);
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public LlavaEngine engine() {
        return engine;
    }

    /** The LoRA adapters this pipeline serves, or empty when it has no adapter directory. */
    public Optional<LoraAdapters> loraAdapters() {
        return Optional.ofNullable(loraAdapters);
    }

    /**
     * Runs the requests (at most {@code maxBatchSize} decoded together, the rest joining as rows finish), streaming
     * each one's text to {@code listener}. Results are in request order.
     */
    public List<Result> generate(List<Request> requests, Listener listener) {
        Result[] results = new Result[requests.size()];
        Map<Integer, Integer> indexOfId = new HashMap<>();
        try (Session session = newSession(new Listener() {
            @Override
            public void onText(int id, String text) {
                listener.onText(indexOfId.get(id), text);
            }

            @Override
            public void onFinish(int id, Result result) {
                int index = indexOfId.get(id);
                results[index] = result;
                listener.onFinish(index, result);
            }
        })) {
            for (int i = 0; i < requests.size(); i++) {
                try {
                    indexOfId.put(session.submit(requests.get(i)), i);
                } catch (RequestRejectedException e) {
                    LOG.info("request {} rejected: {}", i, e.getMessage());
                    results[i] = Result.failed(e.kind(), e.getMessage());
                    listener.onFinish(i, results[i]);
                }
            }
            while (!session.isIdle()) {
                session.step();
            }
        }
        return Arrays.asList(results);
    }

    /**
     * Decodes and preprocesses the request's images and encodes its prompt, so that {@link Session#submit(Prepared)}
     * only queues it. Thread-safe: may run on any thread, concurrently with a session stepping. Never throws: a
     * request that cannot run is refused when it is submitted, with the same exception {@link Session#submit(Request)}
     * would throw.
     */
    public Prepared prepare(Request request) {
        return prepare(request, null);
    }

    /**
     * Like {@link #prepare(Request)}, with the request's images already decoded: {@code decodedImages} holds
     * {@link ImageDecoder}'s result for each of {@code request.images()}, in order (null: decode them here). For a
     * caller that decoded them anyway, to admit them.
     */
    public Prepared prepare(Request request, List<RgbImage> decodedImages) {
        if (decodedImages != null && decodedImages.size() != request.images().size()) {
            throw new IllegalArgumentException(decodedImages.size() + " decoded images for a request of "
                    + request.images().size());
        }
        try {
            return new Prepared(request, encode(request, decodedImages), null);
        } catch (RuntimeException e) {
            return new Prepared(request, null, e);
        }
    }

    /**
     * A long-lived continuous batch: requests are submitted whenever they arrive and join the running rows as rows
     * free up (see {@link GenerationSession}); the caller drives it with {@link Session#step()}. This is what a
     * worker that receives requests over time uses; {@link #generate} is built on it.
     */
    public Session newSession(Listener listener) {
        return new Session(listener);
    }

    /**
     * Requests in, streamed text and results out, over time. Each accepted request gets exactly one
     * {@link Listener#onFinish} when it ends (EOS, length, cancelled, or an engine failure of its batch, reported as
     * {@link FailureKind#INFERENCE_FAILED}); a request that cannot run is refused by {@link #submit}. Listener
     * indexes are the ids {@link #submit} returns. Not thread-safe: one thread submits, steps and cancels; listeners
     * run on it and must not call back into the session.
     */
    public final class Session implements AutoCloseable {

        /** A submitted request's streaming state. */
        private static final class Row {
            final int[] promptIds;
            final DetokenizerStream stream;
            final StringBuilder text = new StringBuilder();

            Row(int[] promptIds, DetokenizerStream stream) {
                this.promptIds = promptIds;
                this.stream = stream;
            }
        }

        private final Listener listener;
        private final Map<Integer, Row> rows = new HashMap<>();
        private final GenerationSession engineSession;
        private int nextId;

        private Session(Listener listener) {
            this.listener = listener;
            this.engineSession = engine.newSession(new TokenListener() {
                @Override
                public void onToken(int request, int token) {
                    // An EOS id ends the text even where the tokenizer does not mark it special.
                    if (!specialTokens.isEos(token)) {
                        Row row = rows.get(request);
                        emit(request, row, row.stream.accept(token));
                    }
                }

                @Override
                public void onFinish(int request, GenerationResult generated) {
                    Row row = rows.remove(request);
                    emit(request, row, row.stream.finish());
                    FailureKind failure = generated.finishReason() == FinishReason.ERROR
                            ? FailureKind.INFERENCE_FAILED : null;
                    listener.onFinish(request, new Result(row.text.toString(), generated.tokenIds(), row.promptIds,
                            generated.finishReason(), generated.promptTokens(), generated.tokenIds().length,
                            generated.error(), failure));
                }
            });
        }

        /**
         * Decodes, preprocesses and encodes the request and queues it.
         *
         * @return the request's id in listener calls and {@link #cancel}
         * @throws RequestRejectedException when the request cannot run (bad image, bad prompt, too long); no
         *                                  callback follows
         */
        public int submit(Request request) {
            return submit(prepare(request));
        }

        /**
         * Queues a request {@link LlavaPipeline#prepare prepared} ahead.
         *
         * @return the request's id in listener calls and {@link #cancel}
         * @throws RequestRejectedException when the request cannot run (as found when it was prepared); no callback
         *                                  follows
         */
        public int submit(Prepared request) {
            if (request.failure != null) {
                throw request.failure;
            }
            GenerationRequest prepared = request.generation;
            int id = nextId++;
            engineSession.submit(id, prepared);
            rows.put(id, new Row(prepared.promptIds(), detokenizer.newStream()));
            return id;
        }

        /** Admits waiting requests into free rows, or decodes one token for every running row. */
        public void step() {
            engineSession.step();
        }

        /**
         * Stops a waiting or running request; its {@code onFinish} (finish reason CANCELLED, with the text so far)
         * comes before this returns.
         *
         * @return false when the request already finished
         */
        public boolean cancel(int id) {
            return engineSession.cancel(id);
        }

        public boolean isIdle() {
            return engineSession.isIdle();
        }

        /** Requests submitted and not finished (waiting or running). */
        public int size() {
            return rows.size();
        }

        private void emit(int request, Row row, String chunk) {
            if (!chunk.isEmpty()) {
                row.text.append(chunk);
                listener.onText(request, chunk);
            }
        }

        @Override
        public void close() {
            engineSession.close();
            rows.clear();
        }
    }

    /**
     * Decodes, preprocesses, encodes and truncates; {@link RequestRejectedException} (with the reason) for bad
     * input. Each image is preprocessed on its own (for NeXT: its own anyres grid).
     */
    private GenerationRequest encode(Request request, List<RgbImage> decodedImages) {
        List<PixelValues> pixels = new ArrayList<>();
        int imageTokens = 0;
        for (int i = 0; i < request.images().size(); i++) {
            try {
                PixelValues image = decodedImages != null
                        ? imageProcessor.process(decodedImages.get(i))
                        : imageProcessor.process(request.images().get(i));
                pixels.add(image);
                imageTokens += imageProcessor.imageTokenCount(image.originalHeight(), image.originalWidth());
            } catch (IllegalArgumentException e) {
                throw new RequestRejectedException(FailureKind.INVALID_IMAGE, request.images().size() == 1
                        ? e.getMessage() : "image " + i + ": " + e.getMessage(), e);
            }
        }
        EncodedPrompt prompt;
        try {
            if (request.conversation() != null) {
                if (request.conversation().imageCount() != pixels.size()) {
                    throw new PromptException("the conversation shows " + request.conversation().imageCount()
                            + " images but the request carries " + pixels.size());
                }
                prompt = promptEncoder.encodeConversation(request.conversation());
            } else {
                prompt = pixels.isEmpty()
                        ? promptEncoder.encodeTextOnly(request.text(), request.useChatTemplate())
                        : promptEncoder.encode(request.text(), request.useChatTemplate(), pixels.size());
            }
        } catch (IllegalArgumentException e) {
            throw new RequestRejectedException(FailureKind.INVALID_PROMPT, e.getMessage(), e);
        }
        int limit = request.params().promptMaxTokens();
        if (limit > 0 && prompt.length(imageTokens) > limit) {
            LOG.info("prompt of {} tokens truncated to prompt_max_tokens {}", prompt.length(imageTokens), limit);
            try {
                prompt = prompt.truncateLeft(limit, imageTokens, specialTokens.bos());
            } catch (IllegalArgumentException e) {
                throw new RequestRejectedException(FailureKind.PROMPT_TOO_LONG, e.getMessage(), e);
            }
        }
        int[] ids = Arrays.stream(prompt.ids()).mapToInt(Math::toIntExact).toArray();
        return new GenerationRequest(ids, pixels, request.params(), tokenAutomaton(request.constraint()),
                adapter(request.loraId()));
    }

    private LoraAdapter adapter(String loraId) {
        if (loraId == null) {
            return null;
        }
        if (loraAdapters == null) {
            throw new RequestRejectedException(FailureKind.INVALID_ADAPTER, "unknown LoRA adapter '" + loraId
                    + "': this model serves no LoRA adapters (no adapter directory configured)");
        }
        try {
            return loraAdapters.acquire(loraId);
        } catch (LoraAdapterException e) {
            throw new RequestRejectedException(FailureKind.INVALID_ADAPTER, e.getMessage(), e);
        }
    }

    /** The constraint over this checkpoint's vocabulary, shared by every request with an equal constraint. */
    private synchronized TokenAutomaton tokenAutomaton(OutputConstraint constraint) {
        if (constraint == null) {
            return null;
        }
        if (constraintVocabulary == null) {
            constraintVocabulary = TokenAutomaton.Vocabulary.of(detokenizer);
        }
        return automata.computeIfAbsent(constraint.key(), key -> new TokenAutomaton(constraint, constraintVocabulary));
    }

    @Override
    public void close() {
        if (loraAdapters != null) {
            loraAdapters.close();
        }
        engine.close();
        tokenizer.close();
    }
}
