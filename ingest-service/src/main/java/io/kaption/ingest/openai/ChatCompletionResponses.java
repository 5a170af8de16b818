package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.Json;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;

/**
 * OpenAI's response objects for one request: {@code chat.completion}, or the {@code chat.completion.chunk}s of a
 * stream. {@code id} is {@code chatcmpl-<request id>}; {@code model} is the consumer group that served the request.
 *
 * @param includeUsage whether chunks carry {@code "usage": null} and a final usage chunk is sent
 */
public record ChatCompletionResponses(String id, long created, String model, boolean includeUsage) {

    public static ChatCompletionResponses forRequest(String requestId, long createdEpochSeconds, String model,
                                                     boolean includeUsage) {
        return new ChatCompletionResponses("chatcmpl-" + requestId, createdEpochSeconds, model, includeUsage);
    }

    public ObjectNode completion(GenerationResult result) {
        ObjectNode completion = header("chat.completion");
        ObjectNode choice = completion.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", result.text().get(0));
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(result.finishReason()));
        completion.set("usage", usage(result.usage()));
        return completion;
    }

    /** The first chunk: the assistant's role and empty content. */
    public String roleChunk() {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.put("role", "assistant");
        delta.put("content", "");
        return chunk(delta, null);
    }

    public String contentChunk(String text) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        delta.put("content", text);
        return chunk(delta, null);
    }

    /** The last chunk with a choice: an empty delta and why generation stopped. */
    public String finishChunk(FinishReason reason) {
        return chunk(Json.MAPPER.createObjectNode(), finishReason(reason));
    }

    /** With {@code stream_options.include_usage}: no choices, the request's token counts. */
    public String usageChunk(GenerationResult.Usage usage) {
        ObjectNode chunk = header("chat.completion.chunk");
        chunk.putArray("choices");
        chunk.set("usage", usage(usage));
        return Json.write(chunk);
    }

    private String chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = header("chat.completion.chunk");
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return Json.write(chunk);
    }

    private ObjectNode header(String object) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id);
        node.put("object", object);
        node.put("created", created);
        node.put("model", model);
        node.putNull("system_fingerprint");
        return node;
    }

    private static ObjectNode usage(GenerationResult.Usage usage) {
        GenerationResult.Usage counts = usage == null ? new GenerationResult.Usage(0, 0, 0) : usage;
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("prompt_tokens", counts.promptTokens());
        node.put("completion_tokens", counts.completionTokens());
        node.put("total_tokens", counts.totalTokens());
        return node;
    }

    private static String finishReason(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }
}
