package io.kaption.events;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Texts;
import java.util.List;

/** Token events and results for tests. */
final class Events {

    private Events() {}

    static TokenEvent chunk(String requestId, int batchId, int index) {
        return TokenEvent.chunk(requestId, batchId, index, "t" + batchId + "." + index);
    }

    static TokenEvent last(String requestId, int batchId, int index) {
        return TokenEvent.last(requestId, batchId, index, "", FinishReason.STOP);
    }

    static GenerationResult completed(String requestId, String text) {
        return new GenerationResult(requestId, Texts.of(text), FinishReason.STOP,
                GenerationResult.Usage.of(3, 2), null, null, null, 1L, 2L, null, null, null);
    }

    /** A result that says whether its request streamed (results of older workers do not: {@link #completed}). */
    static GenerationResult completed(String requestId, String text, boolean streamed) {
        return new GenerationResult(requestId, Texts.of(text), FinishReason.STOP,
                GenerationResult.Usage.of(3, 2), null, null, null, 1L, 2L, null, null, streamed);
    }

    /** The result of one record of a bucket job, as a worker writes it. */
    static GenerationResult jobResult(String requestId, String jobId) {
        return new GenerationResult(requestId, Texts.of("a caption"), FinishReason.STOP,
                GenerationResult.Usage.of(3, 2), null, jobId, requestId, 1L, 2L, null, "s3://bucket/image.jpg", false);
    }

    static GenerationResult completed(String requestId, List<String> texts) {
        return new GenerationResult(requestId, Texts.ofList(texts), FinishReason.STOP,
                GenerationResult.Usage.of(3, 2), null, null, null, 1L, 2L, null, null, null);
    }

    static GenerationResult failed(String requestId) {
        return new GenerationResult(requestId, null, FinishReason.ERROR, null,
                new GenerationResult.Failure("inference_failed", "out of memory"), null, null, null, null, null, null,
                null);
    }
}
