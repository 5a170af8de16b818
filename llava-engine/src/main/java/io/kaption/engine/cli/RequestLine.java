package io.kaption.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.kaption.constraints.ConstraintCache;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.prompt.Conversation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One line of a {@code --requests} JSONL file: a Takeoff {@code json_data} object plus {@code "id"} and
 * {@code "image_paths"}, or {@code "messages"} in OpenAI's chat shape instead of {@code text} (image parts'
 * {@code url} a {@code data:} URL or a file path), parsed and checked, or the reason it cannot run.
 *
 * @param id              the line's {@code id} as written (any JSON value), {@code null} node when unknown
 * @param texts           the prompt(s); several when {@code text} is a list; empty for messages
 * @param textList        whether {@code text} was a list (the output then has lists in the same shape)
 * @param conversation    the messages, or null for a text line
 * @param useChatTemplate {@code use_chat_template}, default true
 * @param images          the images' bytes: {@code image_paths}, or a conversation's image parts in order
 * @param params          sampling parameters from Takeoff's fields
 * @param constraint      what the output must match ({@code regex_string} or {@code json_schema}), or null
 * @param loraId          the LoRA adapter to answer with ({@code lora_id}), or null
 * @param error           why the line cannot run (all other fields but {@code id} are then empty), or null
 */
record RequestLine(JsonNode id, List<String> texts, boolean textList, Conversation conversation,
        boolean useChatTemplate, List<byte[]> images, SamplingParams params, OutputConstraint constraint,
        String loraId, String error) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Takeoff fields that concern routing or transport, not generation: accepted and ignored here. */
    private static final Set<String> IGNORED = Set.of("consumer_group", "stream", "request_id", "output_uri",
            "job_id", "record_id", "created_at");
    private static final Set<String> KNOWN = Set.of("id", "text", "messages", "image_paths", "use_chat_template",
            "sampling_temperature", "sampling_topk", "sampling_topp", "repetition_penalty", "no_repeat_ngram_size",
            "max_new_tokens", "min_new_tokens", "prompt_max_tokens", "seed", "regex_string", "json_schema", "lora_id");
    /** A requests file often repeats one schema on every line: compile it once. */
    private static final ConstraintCache CONSTRAINTS = new ConstraintCache(64);

    static RequestLine failed(JsonNode id, String error) {
        return new RequestLine(id, List.of(), false, null, false, List.of(), null, null, null, error);
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
            if (root.has("messages")) {
                if (root.has("text") || root.has("image_paths")) {
                    throw new IllegalArgumentException("messages go without text and image_paths (images are "
                            + "image_url parts)");
                }
                List<byte[]> images = new ArrayList<>();
                Conversation conversation = conversation(root.get("messages"), baseDirectory, images);
                return new RequestLine(id, List.of(), false, conversation, true, images, params(root, defaults),
                        constraint(root), loraId(root), null);
            }
            return new RequestLine(id, texts(root), root.path("text").isArray(), null, useChatTemplate(root),
                    images(root, baseDirectory), params(root, defaults), constraint(root), loraId(root), null);
        } catch (IllegalArgumentException e) {
            return failed(id, e.getMessage());
        }
    }

    private static void checkFields(JsonNode root) {
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (!KNOWN.contains(name) && !IGNORED.contains(name)) {
                throw new IllegalArgumentException("unknown field " + name);
            }
        }
    }

    /**
     * {@code regex_string} (a string) or {@code json_schema} (an object), compiled as the worker does; a
     * {@link io.kaption.constraints.ConstraintException} (an IllegalArgumentException) says why one cannot be used.
     */
    private static OutputConstraint constraint(JsonNode root) {
        JsonNode regex = root.get("regex_string");
        JsonNode schema = root.get("json_schema");
        if (regex != null && !regex.isNull() && !regex.isTextual()) {
            throw new IllegalArgumentException("regex_string must be a string");
        }
        if (schema != null && !schema.isNull() && !schema.isObject()) {
            throw new IllegalArgumentException("json_schema must be a JSON object");
        }
        return CONSTRAINTS.of(regex == null || regex.isNull() ? null : regex.textValue(),
                schema == null || schema.isNull() ? null : schema);
    }

    private static String loraId(JsonNode root) {
        JsonNode lora = root.get("lora_id");
        if (lora == null || lora.isNull()) {
            return null;
        }
        if (!lora.isTextual()) {
            throw new IllegalArgumentException("lora_id must be a string");
        }
        return lora.textValue();
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

    /**
     * OpenAI's chat messages: {@code role} system (or developer), user or assistant; {@code content} a string or
     * parts {@code {"type": "text", "text"}} and {@code {"type": "image_url", "image_url": {"url"}}}; {@code images}
     * receives each image part's bytes in order.
     */
    private static Conversation conversation(JsonNode messages, Path baseDirectory, List<byte[]> images) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("messages must be a non-empty list");
        }
        List<Conversation.Message> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String role = message.path("role").asText("");
            if (role.equals("developer")) {
                role = "system";
            }
            if (!List.of("system", "user", "assistant").contains(role)) {
                throw new IllegalArgumentException("messages[" + i + "].role must be system, developer, user or "
                        + "assistant");
            }
            JsonNode content = message.path("content");
            List<Conversation.Part> parts = new ArrayList<>();
            if (content.isTextual()) {
                parts.add(Conversation.Part.text(content.textValue()));
            } else if (content.isArray()) {
                for (JsonNode part : content) {
                    String type = part.path("type").asText("");
                    if (type.equals("text") && part.path("text").isTextual()) {
                        parts.add(Conversation.Part.text(part.path("text").textValue()));
                    } else if (type.equals("image_url")) {
                        JsonNode url = part.path("image_url").isObject() ? part.path("image_url").path("url")
                                : part.path("image_url");
                        if (!url.isTextual()) {
                            throw new IllegalArgumentException("messages[" + i + "]: an image_url part needs a url");
                        }
                        parts.add(Conversation.Part.IMAGE);
                        images.add(imageBytes(url.textValue(), baseDirectory));
                    } else {
                        throw new IllegalArgumentException("messages[" + i + "]: content parts are text or image_url");
                    }
                }
            } else {
                throw new IllegalArgumentException("messages[" + i + "].content must be a string or a list of parts");
            }
            turns.add(new Conversation.Message(role, parts));
        }
        return new Conversation(turns);
    }

    // A data: URL's bytes, or the file it names (relative to the JSONL file).
    private static byte[] imageBytes(String url, Path baseDirectory) {
        if (url.startsWith("data:")) {
            int comma = url.indexOf(',');
            if (comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
                throw new IllegalArgumentException("a data: URL must be data:<type>;base64,<data>");
            }
            try {
                return Base64.getDecoder().decode(url.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a data: URL holds invalid base64");
            }
        }
        return file(url, baseDirectory);
    }

    private static List<byte[]> images(JsonNode root, Path baseDirectory) {
        JsonNode paths = root.get("image_paths");
        if (paths == null || paths.isNull()) {
            return List.of();
        }
        List<byte[]> images = new ArrayList<>();
        if (paths.isArray()) {
            for (JsonNode path : paths) {
                if (!path.isTextual()) {
                    throw new IllegalArgumentException("image_paths must be a list of file names");
                }
                images.add(file(path.textValue(), baseDirectory));
            }
            return images;
        }
        throw new IllegalArgumentException("image_paths must be a list of file names");
    }

    private static byte[] file(String name, Path baseDirectory) {
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
