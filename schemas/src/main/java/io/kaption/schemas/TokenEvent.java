package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Objects;

/**
 * Value of {@code kaption.tokens} (schema {@code kaption.tokens/v1.json}): one chunk of generated text of prompt
 * {@code batchId} of a streaming request; the last event of each prompt is {@code final} and says why it ended.
 * {@code attempt} (optional) names the processing of the request that produced the event: a request redelivered
 * after a worker crash is generated again, from {@code index} 0, by a new attempt.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenEvent(
        String requestId,
        int batchId,
        int index,
        String text,
        @JsonProperty("final") boolean isFinal,
        FinishReason finishReason,
        String attempt) {

    @JsonCreator
    public TokenEvent {
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(text, "text");
        if (isFinal != (finishReason != null)) {
            throw new IllegalArgumentException("finish_reason is set exactly on the final event");
        }
    }

    /** An event without an attempt id. */
    public TokenEvent(String requestId, int batchId, int index, String text, boolean isFinal,
                      FinishReason finishReason) {
        this(requestId, batchId, index, text, isFinal, finishReason, null);
    }

    public static TokenEvent chunk(String requestId, int batchId, int index, String text) {
        return new TokenEvent(requestId, batchId, index, text, false, null);
    }

    public static TokenEvent last(String requestId, int batchId, int index, String text, FinishReason finishReason) {
        return new TokenEvent(requestId, batchId, index, text, true, Objects.requireNonNull(finishReason));
    }

    /** This event as produced by {@code attempt}. */
    public TokenEvent withAttempt(String attempt) {
        return new TokenEvent(requestId, batchId, index, text, isFinal, finishReason, attempt);
    }
}
