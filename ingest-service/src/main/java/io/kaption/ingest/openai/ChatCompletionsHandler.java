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
 *
 * <p>LoRA adapters, as vLLM names them: {@code model} {@code <group>:<adapter>} ({@code GET /v1/models} lists these)
 * sends the request to the group with {@code lora_id} {@code <adapter>}, and the response's {@code model} echoes it.
 * Only when {@code <group>} is {@code primary} or an existing group: any other name with a colon (an Ollama-style
 * {@code llava:7b}) goes to {@code primary} without adapter, like every name Kaption does not know. A body
 * {@code lora_id} that contradicts the model's adapter is a 400.
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
                .compose(call -> route(exchange, call).compose(route -> {
                    String group = route.group();
                    exchange.requireGroup(group);
                    String loraId = loraId(call, route);
                    ChatCompletionResponses responses = ChatCompletionResponses.forRequest(exchange.requestId(),
                            created, route.adapter() == null ? group : group + ":" + route.adapter(),
                            call.includeUsage());
                    return generations.prepare(call.draft().toBuilder().consumerGroup(group).loraId(loraId).build(),
                            call.images())
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

    /** Where a chat completion goes: a consumer group, and the LoRA adapter its {@code model} names (or null). */
    private record Route(String group, String adapter) {}

    private Future<Route> route(HttpExchange exchange, ChatCall call) {
        String requested = call.model().orElse(Topics.DEFAULT_CONSUMER_GROUP);
        int colon = requested.indexOf(':');
        if (colon > 0 && colon < requested.length() - 1) {
            String group = requested.substring(0, colon);
            String adapter = requested.substring(colon + 1);
            if (group.equals(Topics.DEFAULT_CONSUMER_GROUP)) {
                return Future.succeededFuture(new Route(group, adapter));
            }
            if (Topics.isValidConsumerGroup(group)) {
                return generations.groupExists(group).compose(exists -> exists
                        ? Future.succeededFuture(new Route(group, adapter))
                        : consumerGroup(exchange, requested).map(g -> new Route(g, null)));
            }
        }
        return consumerGroup(exchange, requested).map(group -> new Route(group, null));
    }

    private static String loraId(ChatCall call, Route route) {
        String fromBody = call.draft().loraId();
        if (route.adapter() != null && fromBody != null && !fromBody.equals(route.adapter())) {
            throw ApiException.badRequest("invalid_request", "model '" + route.group() + ":" + route.adapter()
                    + "' names the LoRA adapter '" + route.adapter() + "' but lora_id is '" + fromBody + "'");
        }
        return route.adapter() != null ? route.adapter() : fromBody;
    }

    private Future<String> consumerGroup(HttpExchange exchange, String requested) {
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
