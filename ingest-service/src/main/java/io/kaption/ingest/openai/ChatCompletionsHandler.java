package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.generation.Generations;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.ErrorShape;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.RequestBody;
import io.kaption.schemas.Topics;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

/**
 * {@code POST /v1/chat/completions}. {@code model} names the consumer group when a group of that name exists;
 * anything else (absent, {@code "tgi"}, a Hugging Face model id, ...) goes to {@code primary}, and the response's
 * {@code model} says which group answered. OpenAI clients insist on some model name, and most send one that means
 * nothing to Kaption. With API keys, a key that may not use the group gets 403 {@code group_not_allowed}
 * ({@code GET /v1/models} lists the groups a key may use).
 */
public final class ChatCompletionsHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionsHandler.class);

    private final Generations generations;
    private final int maxBodyBytes;
    private final Clock clock;

    public ChatCompletionsHandler(Generations generations, int maxBodyBytes, Clock clock) {
        this.generations = generations;
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
    }

    public void handle(HttpExchange exchange) {
        exchange.errorShape(ErrorShape.OPENAI);
        long created = clock.instant().getEpochSecond();
        BodyReader.read(exchange.request(), maxBodyBytes)
                .map(body -> ChatCompletionRequests.parse(bodyObject(body), exchange.requestId()))
                .compose(call -> consumerGroup(exchange, call).compose(group -> {
                    exchange.requireGroup(group);
                    ChatCompletionResponses responses = ChatCompletionResponses.forRequest(exchange.requestId(),
                            created, group, call.includeUsage());
                    return generations.prepare(call.draft().toBuilder().consumerGroup(group).build(), call.images())
                            .compose(request -> call.stream()
                                    ? generations.stream(exchange, request, new ChatStream(exchange, responses))
                                    : generations.call(exchange, request)
                                            .onSuccess(result -> exchange.json(200, responses.completion(result)))
                                            .mapEmpty());
                }))
                .onFailure(exchange::fail);
    }

    private static ObjectNode bodyObject(RequestBody body) {
        if (!(body instanceof RequestBody.Raw raw)) {
            throw new ApiException(415, "unsupported_media_type",
                    "chat completions take a JSON body");
        }
        return Json.parseObject(raw.bytes(), "the request body");
    }

    private Future<String> consumerGroup(HttpExchange exchange, ChatCall call) {
        String requested = call.model().orElse(Topics.DEFAULT_CONSUMER_GROUP);
        if (requested.equals(Topics.DEFAULT_CONSUMER_GROUP) || !Topics.isValidConsumerGroup(requested)) {
            return Future.succeededFuture(Topics.DEFAULT_CONSUMER_GROUP);
        }
        return generations.groupExists(requested).map(exists -> {
            if (!exists) {
                LOG.debug("request_id={} model '{}' is no consumer group; using {}", exchange.requestId(), requested,
                        Topics.DEFAULT_CONSUMER_GROUP);
            }
            return exists ? requested : Topics.DEFAULT_CONSUMER_GROUP;
        });
    }
}
