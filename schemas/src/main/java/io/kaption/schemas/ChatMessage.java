package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a request's {@code messages}: a role ({@code system}, {@code user}, {@code assistant}) and its content
 * parts in order. A string content on the wire is read as one text part (written back as that part).
 */
public record ChatMessage(String role, List<Part> content) {

    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
    }

    /** A message of one text part. */
    public static ChatMessage text(String role, String text) {
        return new ChatMessage(role, List.of(Part.text(text)));
    }

    /** The images this message shows, as indexes into the request's {@code image_urls}, in order. */
    @JsonIgnore
    public List<Integer> imageIndexes() {
        return content.stream().filter(Part::isImage).map(Part::index).toList();
    }

    // The schema has already checked the shape; this only maps it.
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ChatMessage fromJson(JsonNode node) {
        String role = node.path("role").textValue();
        JsonNode content = node.path("content");
        if (content.isTextual()) {
            return text(role, content.textValue());
        }
        List<Part> parts = new ArrayList<>(content.size());
        for (JsonNode part : content) {
            parts.add("image".equals(part.path("type").textValue())
                    ? Part.image(part.path("index").intValue())
                    : Part.text(part.path("text").textValue()));
        }
        return new ChatMessage(role, parts);
    }

    /**
     * A content part: {@code {"type": "text", "text": ...}} or {@code {"type": "image", "index": i}}, the image being
     * {@code image_urls[i]} of the request.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Part(String type, String text, Integer index) {

        public static final String TEXT = "text";
        public static final String IMAGE = "image";

        public Part {
            if (TEXT.equals(type) ? text == null || index != null : !IMAGE.equals(type) || index == null || text != null) {
                throw new IllegalArgumentException("a content part is {type: text, text} or {type: image, index}");
            }
        }

        public static Part text(String text) {
            return new Part(TEXT, text, null);
        }

        public static Part image(int index) {
            return new Part(IMAGE, null, index);
        }

        @JsonIgnore
        public boolean isImage() {
            return IMAGE.equals(type);
        }
    }
}
