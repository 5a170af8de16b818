package io.kaption.ingest.takeoff;

import io.kaption.events.StreamRestart;
import io.kaption.ingest.generation.Generations;
import io.kaption.ingest.generation.ResultFailures;
import io.kaption.ingest.generation.StreamListener;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.Sse;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * Takeoff's token stream: {@code data: {"text": chunk, "batch_id": n}} per non-empty chunk, in order (chunks of
 * different prompts of a list interleave; {@code batch_id} tells them apart); with {@code return_metadata} a last
 * event with empty text and the token counts. The stream ends when the response ends. A failure after the stream
 * started is sent as {@code event: error} with the usual error object; so is a replay of the request (its worker
 * died) that produced different text than was already sent ({@code stream_restarted}: Takeoff's stream cannot take
 * text back).
 */
final class TakeoffStream implements StreamListener {

    private final HttpExchange exchange;
    private final boolean returnMetadata;
    private int lastBatchId;

    TakeoffStream(HttpExchange exchange, boolean returnMetadata) {
        this.exchange = exchange;
        this.returnMetadata = returnMetadata;
    }

    @Override
    public void start() {
        exchange.startEventStream();
    }

    @Override
    public void token(TokenEvent event) {
        lastBatchId = event.batchId();
        if (!event.text().isEmpty()) {
            exchange.response().write(Sse.data(TakeoffResponses.chunk(event)));
        }
    }

    @Override
    public boolean restarted(StreamRestart restart) {
        endWithError(Generations.streamRestarted(restart.requestId()));
        return false;
    }

    @Override
    public void result(GenerationResult result) {
        if (result.finishReason() == FinishReason.ERROR) {
            endWithError(ResultFailures.toApiException(result.error()));
            return;
        }
        if (returnMetadata) {
            exchange.response().write(Sse.data(TakeoffResponses.metadataChunk(lastBatchId, result.usage())));
        }
        exchange.response().end();
    }

    @Override
    public void timeout() {
        endWithError(new ApiException(504, Generations.RESULT_TIMEOUT, "no progress within the result timeout; "
                + "the request was cancelled"));
    }

    private void endWithError(ApiException error) {
        exchange.response().end(Sse.event("error",
                Json.write(exchange.errorShape().body(error.status(), error.code(), error.getMessage()))));
    }
}
