package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A request's {@code text} or a result's {@code text}: on the wire either one string or a list of strings. The shape
 * is kept so that a result answers in the shape it was asked in; element {@code i} of a list is batch {@code i}.
 */
public record Texts(List<String> values, boolean isList) {

    public Texts {
        values = List.copyOf(values);
        if (values.isEmpty()) {
            throw new IllegalArgumentException("text needs at least one element");
        }
        if (!isList && values.size() != 1) {
            throw new IllegalArgumentException("a single text has exactly one element, got " + values.size());
        }
    }

    public static Texts of(String text) {
        return new Texts(List.of(text), false);
    }

    public static Texts ofList(List<String> texts) {
        return new Texts(texts, true);
    }

    /** The same shape as this one, holding {@code newValues} (e.g. the generations for these prompts). */
    public Texts withValues(List<String> newValues) {
        if (newValues.size() != values.size()) {
            throw new IllegalArgumentException("expected " + values.size() + " texts, got " + newValues.size());
        }
        return new Texts(newValues, isList);
    }

    public int size() {
        return values.size();
    }

    public String get(int batchId) {
        return values.get(batchId);
    }

    @JsonValue
    Object json() {
        return isList ? values : values.get(0);
    }

    // The schema has already checked the shape; this only maps it.
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Texts fromJson(JsonNode node) {
        if (node.isTextual()) {
            return of(node.textValue());
        }
        if (node.isArray()) {
            List<String> texts = new ArrayList<>(node.size());
            for (JsonNode element : node) {
                if (!element.isTextual()) {
                    throw new IllegalArgumentException("text list elements must be strings");
                }
                texts.add(element.textValue());
            }
            return ofList(texts);
        }
        throw new IllegalArgumentException("text must be a string or a list of strings");
    }
}
