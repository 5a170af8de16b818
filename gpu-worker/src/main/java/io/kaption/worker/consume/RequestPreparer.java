package io.kaption.worker.consume;

import io.kaption.constraints.ConstraintCache;
import io.kaption.constraints.ConstraintException;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.lora.LoraAdapterException;
import io.kaption.engine.lora.LoraAdapters;
import io.kaption.engine.prompt.Conversation;
import io.kaption.engine.vision.preprocess.RgbImage;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.worker.images.ImageLoadException;
import io.kaption.worker.images.ImageLoader;
import io.kaption.worker.images.LoadedImage;
import io.kaption.worker.publish.ErrorCodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a Takeoff request into engine requests: maps the sampling fields, compiles {@code regex_string} /
 * {@code json_schema}, loads the LoRA adapter {@code lora_id} names (if not loaded yet) and the images, turns
 * {@code messages} into the engine's {@link Conversation} (its images in the order of their image parts), and (given
 * the engine) decodes and preprocesses the images and encodes the prompts. Runs on the image pool, so a slow image or
 * adapter load never holds up the decode loop and the next batch is ready while the current one runs. Thread-safe.
 */
public final class RequestPreparer {

    private static final Logger LOG = LoggerFactory.getLogger(RequestPreparer.class);

    private final ImageLoader images;
    private final ConstraintCache constraints = new ConstraintCache(256);
    /** Null when the worker serves no adapters ({@code KAPTION_LORA_DIR} unset). */
    private final LoraAdapters adapters;
    /** Decodes, preprocesses and encodes for the engine; null: left to the decode thread at submission. */
    private final LlavaPipeline engine;

    /** Prepares requests without the engine's own preparation (done on the decode thread when they are submitted). */
    public RequestPreparer(ImageLoader images, LoraAdapters adapters) {
        this(images, adapters, null);
    }

    /**
     * Also decodes and preprocesses the images and encodes the prompts for {@code engine} here, on the image pool:
     * the decode thread then only queues them, and the next batch's images are ready while the current one runs.
     */
    public RequestPreparer(ImageLoader images, LoraAdapters adapters, LlavaPipeline engine) {
        this.images = images;
        this.adapters = adapters;
        this.engine = engine;
    }

    /**
     * Never throws: a request that cannot run comes back with its failure. It must reach the decode loop and get its
     * result whatever happened here, or its offset blocks every later commit of its partition and the hand-off keeps
     * counting it; so even an {@link Error} (memory running out on a huge image) fails only this request.
     */
    public ReadyRequest prepare(AcceptedRequest accepted) {
        try {
            return prepareOrThrow(accepted);
        } catch (RuntimeException | Error e) {
            LOG.error("request {}: preparing it failed", accepted.requestId(), e);
            return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INFERENCE_FAILED,
                    "the worker could not prepare the request: " + e));
        }
    }

    private ReadyRequest prepareOrThrow(AcceptedRequest accepted) {
        GenerationRequest request = accepted.request();
        if (request.loraId() != null) {
            String problem = adapterProblem(request.loraId());
            if (problem != null) {
                LOG.info("request {}: {}", request.requestId(), problem);
                return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INVALID_REQUEST, problem));
            }
        }
        OutputConstraint constraint;
        try {
            constraint = constraints.of(request.regexString(), request.jsonSchema());
        } catch (ConstraintException e) {
            // The ingest refuses these with a 400; a record produced to Kafka directly gets here.
            LOG.info("request {}: constraint refused: {}", request.requestId(), e.getMessage());
            return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INVALID_REQUEST, e.getMessage()));
        }
        List<SamplingParams> params = new ArrayList<>();
        try {
            for (int batchId = 0; batchId < request.promptCount(); batchId++) {
                params.add(samplingParams(request, batchId));
            }
        } catch (IllegalArgumentException e) {
            return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INVALID_REQUEST, e.getMessage()));
        }
        Optional<String> imageProblem = request.imageProblem(images.maxImagesPerRequest());
        if (imageProblem.isPresent()) {
            return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INVALID_REQUEST, imageProblem.get()));
        }
        if (request.messages() != null && !request.useChatTemplate()) {
            return ReadyRequest.failed(accepted, new Failure(ErrorCodes.INVALID_REQUEST,
                    "messages are always rendered with the model's chat template; use_chat_template: false needs text"));
        }
        List<LoadedImage> loaded = new ArrayList<>();
        List<String> urls = request.images();
        for (int i = 0; i < urls.size(); i++) {
            try {
                loaded.add(images.load(urls.get(i)));
            } catch (ImageLoadException e) {
                LOG.info("request {}: image {} refused ({}): {}", request.requestId(), i, e.code(), e.getMessage());
                return ReadyRequest.failed(accepted, new Failure(e.code(),
                        urls.size() == 1 ? e.getMessage() : "image " + i + ": " + e.getMessage()));
            }
        }
        List<LlavaPipeline.Request> prompts = new ArrayList<>();
        List<LoadedImage> promptImages;
        if (request.messages() != null) {
            promptImages = new ArrayList<>();
            Conversation conversation = conversation(request.messages(), loaded, promptImages);
            prompts.add(LlavaPipeline.Request.conversation(conversation, bytes(promptImages), params.get(0),
                    constraint).withLora(request.loraId()));
        } else {
            promptImages = loaded;
            for (int batchId = 0; batchId < request.text().size(); batchId++) {
                prompts.add(new LlavaPipeline.Request(request.text().get(batchId), null, request.useChatTemplate(),
                        bytes(loaded), params.get(batchId), constraint, request.loraId()));
            }
        }
        if (engine == null) {
            return new ReadyRequest(accepted, prompts, null);
        }
        List<RgbImage> decoded = promptImages.stream().map(LoadedImage::rgb).toList();
        return new ReadyRequest(accepted, prompts, null,
                prompts.stream().map(prompt -> engine.prepare(prompt, decoded)).toList());
    }

    private static List<byte[]> bytes(List<LoadedImage> images) {
        return images.stream().map(LoadedImage::bytes).toList();
    }

    /**
     * The engine's conversation for {@code messages}; {@code shown} receives the image of each image part in order
     * (an image shown twice is there twice).
     */
    static <I> Conversation conversation(List<ChatMessage> messages, List<I> images, List<I> shown) {
        List<Conversation.Message> turns = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            List<Conversation.Part> parts = new ArrayList<>(message.content().size());
            for (ChatMessage.Part part : message.content()) {
                if (part.isImage()) {
                    parts.add(Conversation.Part.IMAGE);
                    shown.add(images.get(part.index()));
                } else {
                    parts.add(Conversation.Part.text(part.text()));
                }
            }
            turns.add(new Conversation.Message(message.role(), parts));
        }
        return new Conversation(turns);
    }

    /**
     * Loads the adapter here, off the decode loop (the engine takes it from the loaded set when the request joins a
     * batch); says why it cannot be used, or null.
     */
    private String adapterProblem(String loraId) {
        if (adapters == null) {
            return "unknown LoRA adapter '" + loraId + "': this worker serves no LoRA adapters (KAPTION_LORA_DIR is "
                    + "not set)";
        }
        try {
            adapters.preload(loraId);
            return null;
        } catch (LoraAdapterException e) {
            return e.getMessage();
        }
    }

    /**
     * Takeoff's sampling fields. The seed is derived from the request id and batch id, so that a redelivered
     * request samples the same text again.
     */
    static SamplingParams samplingParams(GenerationRequest request, int batchId) {
        long seed = 31L * request.requestId().hashCode() + batchId;
        return new SamplingParams(request.samplingTemperature(), request.samplingTopk(), request.samplingTopp(),
                request.repetitionPenalty(), request.noRepeatNgramSize(), request.maxNewTokens(),
                request.minNewTokens(), request.promptMaxTokens() == null ? 0 : request.promptMaxTokens(), seed);
    }
}
