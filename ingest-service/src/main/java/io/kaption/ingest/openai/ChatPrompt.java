package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Flattens a chat conversation into the one user prompt a {@code kaption.requests} record carries (the worker wraps
 * it, with the image, in the model's chat template). A single user message is passed as it is. Otherwise the system
 * (and developer) messages come first, then the earlier turns as {@code User: ...} / {@code Assistant: ...} lines,
 * then the last message, which must be the user's. This keeps the conversation's content, not the model's own
 * multi-turn format: the contract has no field for a list of messages.
 *
 * @param text      the prompt
 * @param imageUrls the distinct image URLs of the user messages, in order
 */
public record ChatPrompt(String text, List<String> imageUrls) {

    public ChatPrompt {
        imageUrls = List.copyOf(imageUrls);
    }

    public static ChatPrompt render(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw invalid("messages: must be a non-empty array");
        }
        List<String> system = new ArrayList<>();
        List<String[]> turns = new ArrayList<>();
        Set<String> images = new LinkedHashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) {
                throw invalid(where + ": must be an object");
            }
            JsonNode roleNode = message.get("role");
            String role = roleNode != null && roleNode.isTextual() ? roleNode.textValue() : "";
            switch (role) {
                case "system", "developer" -> system.add(text(message.get("content"), where, null));
                case "user" -> turns.add(new String[] {"User", text(message.get("content"), where, images)});
                case "assistant" -> turns.add(new String[] {"Assistant", text(message.get("content"), where, null)});
                case "tool", "function" -> throw new ApiException(400, "unsupported_parameter",
                        where + ": tool and function messages are not supported");
                default -> throw invalid(where + ".role: must be system, developer, user or assistant");
            }
        }
        if (turns.isEmpty() || !turns.get(turns.size() - 1)[0].equals("User")) {
            throw invalid("messages: the last message must be from the user");
        }
        List<String> sections = new ArrayList<>();
        String systemText = String.join("\n\n", system.stream().filter(s -> !s.isEmpty()).toList());
        if (!systemText.isEmpty()) {
            sections.add(systemText);
        }
        if (turns.size() > 1) {
            List<String> lines = new ArrayList<>();
            for (String[] turn : turns.subList(0, turns.size() - 1)) {
                lines.add(turn[0] + ": " + turn[1]);
            }
            sections.add(String.join("\n", lines));
        }
        String last = turns.get(turns.size() - 1)[1];
        if (last.isEmpty()) {
            throw invalid("messages: the last user message needs text");
        }
        sections.add(last);
        return new ChatPrompt(String.join("\n\n", sections), List.copyOf(images));
    }

    // String content, or parts: text parts joined by newlines; image_url parts (user messages only) collected.
    private static String text(JsonNode content, String where, Set<String> images) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue().strip();
        }
        if (!content.isArray()) {
            throw invalid(where + ".content: must be a string or an array of content parts");
        }
        List<String> texts = new ArrayList<>();
        for (int p = 0; p < content.size(); p++) {
            JsonNode part = content.get(p);
            String partWhere = where + ".content[" + p + "]";
            String type = part.path("type").asText("");
            switch (type) {
                case "text" -> {
                    JsonNode text = part.get("text");
                    if (text == null || !text.isTextual()) {
                        throw invalid(partWhere + ".text: must be a string");
                    }
                    texts.add(text.textValue().strip());
                }
                case "image_url" -> {
                    if (images == null) {
                        throw invalid(partWhere + ": images are accepted in user messages only");
                    }
                    images.add(imageUrl(part.get("image_url"), partWhere));
                }
                default -> throw new ApiException(400, "unsupported_content", partWhere + ": content parts of type '"
                        + type + "' are not supported (text and image_url are)");
            }
        }
        return String.join("\n", texts.stream().filter(t -> !t.isEmpty()).toList());
    }

    private static String imageUrl(JsonNode imageUrl, String where) {
        JsonNode url = imageUrl != null && imageUrl.isObject() ? imageUrl.get("url") : imageUrl;
        if (url == null || !url.isTextual() || url.textValue().isBlank()) {
            throw invalid(where + ".image_url.url: must be a string, got "
                    + (url == null ? "nothing" : Json.kind(url)));
        }
        return url.textValue().strip();
    }

    private static ApiException invalid(String message) {
        return ApiException.badRequest("invalid_request", message);
    }
}
