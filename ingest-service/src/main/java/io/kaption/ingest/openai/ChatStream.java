package io.kaption.ingest.openai;

import io.kaption.events.StreamRestart;
import io.kaption.ingest.generation.Generations;
import io.kaption.ingest.generation.ResultFailures;
import io.kaption.ingest.generation.StreamListener;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.ErrorShape;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.Sse;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * OpenAI's streamed chat completion: a role chunk, a content chunk per non-empty token chunk, a chunk with the
 * {@code finish_reason}, a usage chunk when asked for, then {@code data: [DONE]}. A failure after the stream started is
 * sent as {@code data: {"error": {...}}} without {@code [DONE]}, which OpenAI's SDKs raise as an API error; so is a
 * replay of the request (its worker died) that produced different text than was already sent
 * ({@code stream_restarted}: a chat completion stream cannot take text back).
 */
final class ChatStream implements StreamListener {

    private final HttpExchange exchange;
    private final ChatCompletionResponses responses;

    ChatStream(HttpExchange exchange, ChatCompletionResponses responses) {
        this.exchange = exchange;
        this.responses = responses;
    }

    @Override
    public void start() {
        exchange.startEventStream();
        exchange.response().write(Sse.data(responses.roleChunk()));
    }

    @Override
    public void token(TokenEvent event) {
        if (!event.text().isEmpty()) {
            exchange.response().write(Sse.data(responses.contentChunk(event.text())));
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
        exchange.response().write(Sse.data(responses.finishChunk(result.finishReason())));
        if (responses.includeUsage()) {
            exchange.response().write(Sse.data(responses.usageChunk(result.usage())));
        }
        exchange.response().end(Sse.data("[DONE]"));
    }

    @Override
    public void timeout() {
        endWithError(new ApiException(504, Generations.RESULT_TIMEOUT, "no progress within the result timeout; "
                + "the request was cancelled"));
    }

    private void endWithError(ApiException error) {
        exchange.response().end(Sse.data(Json.write(
                ErrorShape.OPENAI.body(error.status(), error.code(), error.getMessage()))));
    }
}
