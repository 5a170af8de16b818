package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI chat conversation as the contract's {@code messages} and {@code image_urls}, unflattened: every system
 * ({@code developer} is OpenAI's newer name for it), user and assistant message keeps its role and its parts in
 * order, so that the worker renders the whole conversation with the model's own chat template. Each
 * {@code image_url} part (user messages only) becomes an {@code {"type": "image", "index": i}} part; the same URL
 * twice is one image shown twice. Text is passed as written.
 *
 * @param messages  the contract's {@code messages}
 * @param imageUrls the distinct image URLs in the order they first appear, indexed by the image parts
 */
public record ChatMessages(ArrayNode messages, List<String> imageUrls) {

    public ChatMessages {
        imageUrls = List.copyOf(imageUrls);
    }

    public static ChatMessages from(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw invalid("messages: must be a non-empty array");
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        List<String> images = new ArrayList<>();
        String lastRole = "";
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) {
                throw invalid(where + ": must be an object");
            }
            JsonNode roleNode = message.get("role");
            String role = roleNode != null && roleNode.isTextual() ? roleNode.textValue() : "";
            lastRole = switch (role) {
                case "system", "developer" -> "system";
                case "user", "assistant" -> role;
                case "tool", "function" -> throw new ApiException(400, "unsupported_parameter",
                        where + ": tool and function messages are not supported");
                default -> throw invalid(where + ".role: must be system, developer, user or assistant");
            };
            ObjectNode converted = out.addObject();
            converted.put("role", lastRole);
            converted.set("content", content(message.get("content"), where, lastRole.equals("user") ? images : null));
        }
        if (!lastRole.equals("user")) {
            throw invalid("messages: the last message must be from the user");
        }
        return new ChatMessages(out, images);
    }

    // A string stays a string; parts become text and image parts. Null content (an assistant turn) is empty text.
    private static JsonNode content(JsonNode content, String where, List<String> images) {
        if (content == null || content.isNull()) {
            return Json.MAPPER.getNodeFactory().textNode("");
        }
        if (content.isTextual()) {
            return content;
        }
        if (!content.isArray()) {
            throw invalid(where + ".content: must be a string or an array of content parts");
        }
        ArrayNode parts = Json.MAPPER.createArrayNode();
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
                    parts.addObject().put("type", "text").put("text", text.textValue());
                }
                case "image_url" -> {
                    if (images == null) {
                        throw invalid(partWhere + ": images are accepted in user messages only");
                    }
                    String url = imageUrl(part.get("image_url"), partWhere);
                    int index = images.indexOf(url);
                    if (index < 0) {
                        index = images.size();
                        images.add(url);
                    }
                    parts.addObject().put("type", "image").put("index", index);
                }
                default -> throw new ApiException(400, "unsupported_content", partWhere + ": content parts of type '"
                        + type + "' are not supported (text and image_url are)");
            }
        }
        return parts.isEmpty() ? Json.MAPPER.getNodeFactory().textNode("") : parts;
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
