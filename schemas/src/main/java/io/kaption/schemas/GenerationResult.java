package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Objects;

/**
 * Value of {@code kaption.results} (schema {@code kaption.results/v1.json}): exactly one per request, either the
 * generated {@code text} (shaped like the request's) or, with {@code finish_reason} {@code error}, the {@code error}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationResult(
        String requestId,
        Texts text,
        FinishReason finishReason,
        Usage usage,
        Failure error,
        String jobId,
        String recordId,
        Long queuedMs,
        Long inferenceMs,
        String outputUri,
        String imageUrl,
        Boolean stream) {

    public GenerationResult {
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(finishReason, "finish_reason");
        if ((finishReason == FinishReason.ERROR) != (error != null) || (error == null) == (text == null)) {
            throw new IllegalArgumentException("a result has text, or finish_reason error and an error; got "
                    + finishReason + (text == null ? " without text" : " with text")
                    + (error == null ? " without error" : " with error"));
        }
    }

    /**
     * The answer to {@code request}: job id, record id, output URI and {@code stream} are copied from it, and for a
     * bucket job's request its image URL (the job's result lines name the image).
     */
    public static GenerationResult completed(GenerationRequest request, Texts text, FinishReason finishReason,
                                             Usage usage, Long queuedMs, Long inferenceMs) {
        return new GenerationResult(request.requestId(), text, finishReason, usage, null, request.jobId(),
                request.recordId(), queuedMs, inferenceMs, request.outputUri(), jobImageUrl(request), request.stream());
    }

    /** The failure of {@code request}, with the same fields copied as {@link #completed}. */
    public static GenerationResult failed(GenerationRequest request, Failure error, Long queuedMs, Long inferenceMs) {
        return new GenerationResult(request.requestId(), null, FinishReason.ERROR, null, error, request.jobId(),
                request.recordId(), queuedMs, inferenceMs, request.outputUri(), jobImageUrl(request), request.stream());
    }

    // Only jobs need it back, and an interactive request's data: URL would double the result's size.
    private static String jobImageUrl(GenerationRequest request) {
        return request.jobId() == null ? null : request.imageUrl();
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Usage(int promptTokens, int completionTokens, int totalTokens) {
        public static Usage of(int promptTokens, int completionTokens) {
            return new Usage(promptTokens, completionTokens, promptTokens + completionTokens);
        }
    }

    /** {@code code} is stable and machine-readable (lower snake case), {@code message} is for people. */
    public record Failure(String code, String message) {
        public Failure {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }
}
