package io.kaption.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.kaption.engine.generation.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One line of a {@code --requests} JSONL file: a Takeoff {@code json_data} object plus {@code "id"} and
 * {@code "image_paths"}, parsed and checked, or the reason it cannot run.
 *
 * @param id              the line's {@code id} as written (any JSON value), {@code null} node when unknown
 * @param texts           the prompt(s); several when {@code text} is a list
 * @param textList        whether {@code text} was a list (the output then has lists in the same shape)
 * @param useChatTemplate {@code use_chat_template}, default true
 * @param image           the image file's bytes, or null for a text-only request
 * @param params          sampling parameters from Takeoff's fields
 * @param error           why the line cannot run (all other fields but {@code id} are then empty), or null
 */
record RequestLine(JsonNode id, List<String> texts, boolean textList, boolean useChatTemplate, byte[] image,
        SamplingParams params, String error) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Takeoff fields that concern routing or transport, not generation: accepted and ignored here. */
    private static final Set<String> IGNORED = Set.of("consumer_group", "stream", "request_id", "output_uri",
            "job_id", "record_id", "created_at");
    /** Takeoff fields this engine does not implement: refused when they carry a value. */
    private static final Set<String> UNSUPPORTED = Set.of("regex_string", "json_schema", "lora_id");
    private static final Set<String> KNOWN = Set.of("id", "text", "image_paths", "use_chat_template",
            "sampling_temperature", "sampling_topk", "sampling_topp", "repetition_penalty", "no_repeat_ngram_size",
            "max_new_tokens", "min_new_tokens", "prompt_max_tokens", "seed");

    static RequestLine failed(JsonNode id, String error) {
        return new RequestLine(id, List.of(), false, false, null, null, error);
    }

    /**
     * @param line          the JSON text
     * @param lineNumber    1-based, for messages
     * @param baseDirectory where relative {@code image_paths} are resolved (the JSONL file's directory)
     * @param defaults      sampling parameters of fields the line leaves out
     */
    static RequestLine parse(String line, int lineNumber, Path baseDirectory, SamplingParams defaults) {
        JsonNode root;
        try {
            root = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return failed(NullNode.instance, "line " + lineNumber + " is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            return failed(NullNode.instance, "line " + lineNumber + " is not a JSON object");
        }
        JsonNode id = root.has("id") ? root.get("id") : NullNode.instance;
        try {
            checkFields(root);
            return new RequestLine(id, texts(root), root.path("text").isArray(), useChatTemplate(root),
                    image(root, baseDirectory), params(root, defaults), null);
        } catch (IllegalArgumentException e) {
            return failed(id, e.getMessage());
        }
    }

    private static void checkFields(JsonNode root) {
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (UNSUPPORTED.contains(name) && !field.getValue().isNull()) {
                throw new IllegalArgumentException(name + " is not supported by this engine");
            }
            if (!KNOWN.contains(name) && !IGNORED.contains(name) && !UNSUPPORTED.contains(name)) {
                throw new IllegalArgumentException("unknown field " + name);
            }
        }
    }

    private static List<String> texts(JsonNode root) {
        JsonNode text = root.get("text");
        List<String> texts = new ArrayList<>();
        if (text != null && text.isTextual()) {
            texts.add(text.asText());
        } else if (text != null && text.isArray() && !text.isEmpty()) {
            for (JsonNode element : text) {
                if (!element.isTextual()) {
                    throw new IllegalArgumentException("text must be a string or a list of strings");
                }
                texts.add(element.asText());
            }
        } else {
            throw new IllegalArgumentException("text must be a string or a non-empty list of strings");
        }
        return texts;
    }

    private static boolean useChatTemplate(JsonNode root) {
        JsonNode value = root.get("use_chat_template");
        if (value == null || value.isNull()) {
            return true;
        }
        if (!value.isBoolean()) {
            throw new IllegalArgumentException("use_chat_template must be true or false");
        }
        return value.asBoolean();
    }

    private static byte[] image(JsonNode root, Path baseDirectory) {
        JsonNode paths = root.get("image_paths");
        if (paths == null || paths.isNull()) {
            return null;
        }
        if (!paths.isArray() || paths.size() > 1 || (paths.size() == 1 && !paths.get(0).isTextual())) {
            throw new IllegalArgumentException("image_paths must be a list of at most one file name");
        }
        if (paths.isEmpty()) {
            return null;
        }
        String name = paths.get(0).asText();
        try {
            return Files.readAllBytes(baseDirectory.resolve(name));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("image file not found: " + name);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read image file " + name + ": " + e.getMessage());
        }
    }

    private static SamplingParams params(JsonNode root, SamplingParams d) {
        return new SamplingParams(
                number(root, "sampling_temperature", d.temperature()),
                integer(root, "sampling_topk", d.topK()),
                number(root, "sampling_topp", d.topP()),
                number(root, "repetition_penalty", d.repetitionPenalty()),
                integer(root, "no_repeat_ngram_size", d.noRepeatNgramSize()),
                integer(root, "max_new_tokens", d.maxNewTokens()),
                integer(root, "min_new_tokens", d.minNewTokens()),
                integer(root, "prompt_max_tokens", d.promptMaxTokens()),
                seed(root, d.seed()));
    }

    private static double number(JsonNode root, String name, double fallback) {
        JsonNode value = root.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException(name + " must be a number");
        }
        return value.asDouble();
    }

    private static long seed(JsonNode root, long fallback) {
        JsonNode value = root.get("seed");
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("seed must be an integer");
        }
        return value.asLong();
    }

    private static int integer(JsonNode root, String name, int fallback) {
        JsonNode value = root.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
        return value.asInt();
    }
}
