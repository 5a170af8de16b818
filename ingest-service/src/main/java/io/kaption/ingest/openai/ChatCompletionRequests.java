package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.generation.Constraints;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;

import java.util.List;
import java.util.Optional;

/**
 * Maps an OpenAI chat completion request ({@code POST /v1/chat/completions}, also what Hugging Face's
 * {@code InferenceClient.chat_completion} sends) to a {@code kaption.requests} record.
 *
 * <ul>
 *   <li>{@code messages}: passed on as the contract's {@code messages} by {@link ChatMessages} (system, user and
 *       assistant turns; the worker renders them with the model's own chat template), its {@code image_url} parts
 *       ({@code data:image/...;base64,...}, or {@code https://} when remote images are on) as {@code image_urls},
 *       at most {@code KAPTION_MAX_IMAGES_PER_REQUEST} of them.</li>
 *   <li>{@code max_completion_tokens} (or the older {@code max_tokens}) → {@code max_new_tokens}.</li>
 *   <li>{@code temperature} 0 (or {@code top_p} 0) → greedy decoding; otherwise sampling from the whole vocabulary
 *       with {@code sampling_temperature} = temperature (OpenAI's default 1) and {@code sampling_topp} = top_p.</li>
 *   <li>{@code response_format} {@code json_object} / {@code json_schema} → {@code json_schema}.</li>
 *   <li>{@code lora_id} (Takeoff's field, an extension here) names the LoRA adapter to answer with; a {@code model} of
 *       the form {@code <group>:<adapter>} does the same (see {@link ChatCompletionsHandler}).</li>
 *   <li>{@code seed} is accepted and ignored: the contract carries no seed, so sampled answers are not reproducible.</li>
 *   <li>Features the pipeline does not have are refused with 400 {@code unsupported_parameter} when asked for:
 *       {@code n} &gt; 1, {@code stop}, {@code tools}, {@code logprobs}, {@code logit_bias}, non-zero
 *       {@code presence_penalty} / {@code frequency_penalty}. Other fields are ignored.</li>
 * </ul>
 */
public final class ChatCompletionRequests {

    /** Sampling without a top-k cut: the engine clamps k to the vocabulary size. */
    static final int UNLIMITED_TOP_K = Integer.MAX_VALUE;

    private ChatCompletionRequests() {
    }

    public static ChatCall parse(ObjectNode body, String requestId) {
        rejectUnsupported(body);
        ChatMessages conversation = ChatMessages.from(body.get("messages"));
        boolean stream = optionalBoolean(body, "stream").orElse(false);
        JsonNode streamOptions = body.path("stream_options");
        boolean includeUsage = stream && streamOptions.isObject()
                && optionalBoolean((ObjectNode) streamOptions, "include_usage").orElse(false);

        ObjectNode record = Json.MAPPER.createObjectNode();
        record.put("request_id", requestId);
        record.set("messages", conversation.messages());
        record.put("stream", stream);
        record.put("consumer_group", Topics.DEFAULT_CONSUMER_GROUP);
        Optional<Integer> maxTokens = optionalInt(body, "max_completion_tokens")
                .or(() -> optionalInt(body, "max_tokens"));
        maxTokens.ifPresent(tokens -> record.put("max_new_tokens", tokens));
        double temperature = optionalNumber(body, "temperature", 0, 2).orElse(1.0);
        Optional<Double> topP = optionalNumber(body, "top_p", 0, 1);
        if (temperature == 0 || topP.orElse(1.0) == 0) {
            record.put("sampling_topk", 1);
        } else {
            record.put("sampling_temperature", temperature);
            record.put("sampling_topk", UNLIMITED_TOP_K);
            topP.ifPresent(p -> record.put("sampling_topp", p));
        }
        responseFormatSchema(body.get("response_format")).ifPresent(schema -> record.set("json_schema", schema));
        optionalString(body, "lora_id").ifPresent(lora -> record.put("lora_id", lora));

        GenerationRequest draft;
        try {
            draft = ContractCodec.REQUESTS.decode(record);
        } catch (InvalidRecordException e) {
            throw ApiException.badRequest("invalid_request", String.join("; ", e.violations()));
        }
        Constraints.check(draft, "response_format.json_schema.schema");
        Optional<String> model = optionalString(body, "model");
        List<ImageSource> images = conversation.imageUrls().stream().<ImageSource>map(ImageSource.Url::new).toList();
        return new ChatCall(draft, model, images, stream, includeUsage);
    }

    private static void rejectUnsupported(ObjectNode body) {
        optionalInt(body, "n").filter(n -> n != 1).ifPresent(n -> {
            throw unsupported("n: only one choice per request is supported");
        });
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull() && !(stop.isArray() && stop.isEmpty())
                && !(stop.isTextual() && stop.textValue().isEmpty())) {
            throw unsupported("stop: stop sequences are not supported");
        }
        JsonNode tools = body.get("tools");
        JsonNode functions = body.get("functions");
        if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())
                || functions != null && !functions.isNull() && !(functions.isArray() && functions.isEmpty())) {
            throw unsupported("tools: tool and function calling are not supported");
        }
        if (optionalBoolean(body, "logprobs").orElse(false)) {
            throw unsupported("logprobs: log probabilities are not supported");
        }
        JsonNode logitBias = body.get("logit_bias");
        if (logitBias != null && !logitBias.isNull() && !(logitBias.isObject() && logitBias.isEmpty())) {
            throw unsupported("logit_bias: not supported");
        }
        for (String penalty : new String[] {"presence_penalty", "frequency_penalty"}) {
            if (optionalNumber(body, penalty, -2, 2).orElse(0.0) != 0) {
                throw unsupported(penalty + ": not supported (Takeoff's repetition_penalty is not the same thing)");
            }
        }
    }

    // OpenAI's structured output as the contract's output constraint.
    private static Optional<JsonNode> responseFormatSchema(JsonNode format) {
        if (format == null || format.isNull()) {
            return Optional.empty();
        }
        String type = format.path("type").asText("");
        switch (type) {
            case "text":
                return Optional.empty();
            case "json_object":
                return Optional.of(Json.MAPPER.createObjectNode().put("type", "object"));
            case "json_schema":
                JsonNode schema = format.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiException.badRequest("invalid_request",
                            "response_format.json_schema.schema: must be an object");
                }
                return Optional.of(schema);
            default:
                throw ApiException.badRequest("invalid_request",
                        "response_format.type: must be text, json_object or json_schema");
        }
    }

    private static Optional<Boolean> optionalBoolean(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            throw ApiException.badRequest("invalid_request", field + ": must be a boolean, got " + Json.kind(value));
        }
        return Optional.of(value.booleanValue());
    }

    private static Optional<Integer> optionalInt(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
            throw ApiException.badRequest("invalid_request", field + ": must be a whole number of at least 1");
        }
        return Optional.of(value.intValue());
    }

    private static Optional<Double> optionalNumber(ObjectNode body, String field, double min, double max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isNumber() || value.doubleValue() < min || value.doubleValue() > max) {
            throw ApiException.badRequest("invalid_request", field + ": must be a number from " + format(min)
                    + " to " + format(max));
        }
        return Optional.of(value.doubleValue());
    }

    private static Optional<String> optionalString(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest("invalid_request", field + ": must be a string, got " + Json.kind(value));
        }
        return Optional.of(value.textValue()).filter(s -> !s.isBlank());
    }

    private static String format(double bound) {
        return bound == Math.rint(bound) ? String.valueOf((long) bound) : String.valueOf(bound);
    }

    private static ApiException unsupported(String message) {
        return new ApiException(400, "unsupported_parameter", message);
    }
}
