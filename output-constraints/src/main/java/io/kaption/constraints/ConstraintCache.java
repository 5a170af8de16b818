package io.kaption.constraints;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled constraints by their fields, least recently used out: bulk jobs send one schema with every record, and
 * compiling it (determinizing, minimizing) costs far more than a lookup. Thread-safe.
 */
public final class ConstraintCache {

    private final Map<String, OutputConstraint> compiled;

    public ConstraintCache(int capacity) {
        this.compiled = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, OutputConstraint> eldest) {
                return size() > capacity;
            }
        };
    }

    /** {@link OutputConstraint#of}, cached; invalid constraints are not cached (they throw every time). */
    public OutputConstraint of(String regexString, JsonNode jsonSchema) {
        if (regexString == null && jsonSchema == null) {
            return null;
        }
        String key = regexString != null ? "regex:" + regexString
                : "json_schema:" + jsonSchema;
        synchronized (compiled) {
            OutputConstraint hit = compiled.get(key);
            if (hit != null) {
                return hit;
            }
        }
        OutputConstraint constraint = OutputConstraint.of(regexString, jsonSchema);
        synchronized (compiled) {
            compiled.put(key, constraint);
        }
        return constraint;
    }
}
