package io.kaption.engine.prompt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A chat to answer: system, user and assistant messages in order, each a list of text and image parts. The images
 * are numbered by the order of their parts across the whole conversation, which is the order their features go into
 * the prompt (a chat template moves a message's images before its text but keeps their order).
 *
 * @param messages the turns; the model answers after the last one
 */
public record Conversation(List<Message> messages) {

    public Conversation {
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new PromptException("a conversation needs at least one message");
        }
    }

    /**
     * One turn.
     *
     * @param role  {@code system}, {@code user} or {@code assistant}
     * @param parts its content in order
     */
    public record Message(String role, List<Part> parts) {
        public Message {
            Objects.requireNonNull(role, "role");
            parts = List.copyOf(parts);
        }
    }

    /** A text part ({@code text} non-null) or an image part ({@code text} null). */
    public record Part(String text) {
        public static final Part IMAGE = new Part(null);

        public static Part text(String text) {
            return new Part(Objects.requireNonNull(text, "text"));
        }

        public boolean isImage() {
            return text == null;
        }
    }

    /** Image parts in the whole conversation: the number of images the request must carry. */
    public int imageCount() {
        return (int) messages.stream().flatMap(m -> m.parts().stream()).filter(Part::isImage).count();
    }

    /**
     * The messages as transformers' processors hand them to a chat template: content parts {@code {"type": "image"}}
     * and {@code {"type": "text", "text": ...}}.
     */
    public List<Map<String, Object>> toTemplateMessages() {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (Message message : messages) {
            List<Map<String, Object>> content = new ArrayList<>(message.parts().size());
            for (Part part : message.parts()) {
                content.add(part.isImage() ? Map.of("type", "image") : Map.of("type", "text", "text", part.text()));
            }
            Map<String, Object> rendered = new LinkedHashMap<>();
            rendered.put("role", message.role());
            rendered.put("content", content);
            out.add(rendered);
        }
        return out;
    }
}
