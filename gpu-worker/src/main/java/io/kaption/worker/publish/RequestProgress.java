package io.kaption.worker.publish;

import io.kaption.engine.LlavaPipeline;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.TokenEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one request has produced so far, prompt by prompt (batch id = index in its {@code text}), and the records
 * that tell the world: a token event per text chunk for streaming requests ({@code index} from 0 without gaps per
 * batch id), always a final token event per batch id, and exactly one result once every prompt ended. The first
 * failure of any prompt fails the request. One instance is one attempt at the request: its token events carry the
 * attempt's id, so that readers can tell them from those of a redelivery. Not thread-safe (the decode loop owns it).
 */
public final class RequestProgress {

    /**
     * How one prompt ended.
     *
     * @param finishReason stop, length, or error (then {@code failure} says why)
     */
    public record PromptOutcome(String text, FinishReason finishReason, int promptTokens, int completionTokens,
            Failure failure) {

        public static PromptOutcome failed(Failure failure) {
            return new PromptOutcome("", FinishReason.ERROR, 0, 0, failure);
        }

        /**
         * The engine's result of one prompt.
         *
         * @param cancelled why the worker cancelled it, used when the engine reports it cancelled
         */
        public static PromptOutcome of(LlavaPipeline.Result result, Failure cancelled) {
            return switch (result.finishReason()) {
                case EOS -> new PromptOutcome(result.text(), FinishReason.STOP, result.promptTokens(),
                        result.completionTokens(), null);
                case LENGTH -> new PromptOutcome(result.text(), FinishReason.LENGTH, result.promptTokens(),
                        result.completionTokens(), null);
                case CANCELLED -> new PromptOutcome(result.text(), FinishReason.ERROR, result.promptTokens(),
                        result.completionTokens(), cancelled);
                case ERROR -> new PromptOutcome(result.text(), FinishReason.ERROR, result.promptTokens(),
                        result.completionTokens(), new Failure(ErrorCodes.of(result.failure()), result.error()));
            };
        }
    }

    private final GenerationRequest request;
    private final String attempt;
    private final int[] nextIndex;
    private final PromptOutcome[] outcomes;
    private int ended;
    private Failure failure;

    /** A new attempt at {@code request}: its token events carry a fresh attempt id. */
    public RequestProgress(GenerationRequest request) {
        this(request, AttemptIds.next());
    }

    public RequestProgress(GenerationRequest request, String attempt) {
        this.request = request;
        this.attempt = attempt;
        this.nextIndex = new int[request.promptCount()];
        this.outcomes = new PromptOutcome[request.promptCount()];
    }

    public GenerationRequest request() {
        return request;
    }

    /** The id this attempt's token events carry. */
    public String attempt() {
        return attempt;
    }

    /** The token event of a new chunk of prompt {@code batchId}'s text; empty unless the request streams. */
    public Optional<TokenEvent> text(int batchId, String chunk) {
        requireRunning(batchId);
        if (!request.stream() || chunk.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(TokenEvent.chunk(request.requestId(), batchId, nextIndex[batchId]++, chunk)
                .withAttempt(attempt));
    }

    /** Records how prompt {@code batchId} ended; returns its final token event when the request streams. */
    public Optional<TokenEvent> end(int batchId, PromptOutcome outcome) {
        requireRunning(batchId);
        outcomes[batchId] = outcome;
        ended++;
        if (outcome.failure() != null && failure == null) {
            failure = outcome.failure();
        }
        if (!request.stream()) {
            return Optional.empty();
        }
        return Optional.of(TokenEvent.last(request.requestId(), batchId, nextIndex[batchId]++, "",
                outcome.finishReason()).withAttempt(attempt));
    }

    /** Ends every prompt that has not ended with {@code cause}; returns their final token events (stream only). */
    public List<TokenEvent> failRemaining(Failure cause) {
        List<TokenEvent> events = new ArrayList<>();
        for (int batchId = 0; batchId < outcomes.length; batchId++) {
            if (outcomes[batchId] == null) {
                end(batchId, PromptOutcome.failed(cause)).ifPresent(events::add);
            }
        }
        return events;
    }

    public boolean hasEnded(int batchId) {
        return outcomes[batchId] != null;
    }

    /** True once every prompt ended. */
    public boolean isComplete() {
        return ended == outcomes.length;
    }

    /** The first failure of any prompt, or null. */
    public Failure failure() {
        return failure;
    }

    /**
     * The request's one result: the texts in the request's shape with {@code length} if any prompt hit
     * {@code max_new_tokens} (else {@code stop}) and the usage summed over prompts; or the first failure.
     */
    public GenerationResult result(long queuedMs, long inferenceMs) {
        if (!isComplete()) {
            throw new IllegalStateException("request " + request.requestId() + " has prompts still running");
        }
        if (failure != null) {
            return GenerationResult.failed(request, failure, queuedMs, inferenceMs);
        }
        List<String> texts = new ArrayList<>();
        FinishReason finishReason = FinishReason.STOP;
        int promptTokens = 0;
        int completionTokens = 0;
        for (PromptOutcome outcome : outcomes) {
            texts.add(outcome.text());
            if (outcome.finishReason() == FinishReason.LENGTH) {
                finishReason = FinishReason.LENGTH;
            }
            promptTokens += outcome.promptTokens();
            completionTokens += outcome.completionTokens();
        }
        return GenerationResult.completed(request, request.answers(texts), finishReason,
                GenerationResult.Usage.of(promptTokens, completionTokens), queuedMs, inferenceMs);
    }

    private void requireRunning(int batchId) {
        if (outcomes[batchId] != null) {
            throw new IllegalStateException("request " + request.requestId() + " batch " + batchId + " already ended");
        }
    }
}
