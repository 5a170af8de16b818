package io.kaption.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The defaults a topic's schema gives its top-level properties, which {@link ContractCodec} fills into a record that
 * lacks them (not into one that holds {@code null}) before validating it. A default declared anywhere else (a nested
 * object's property, a {@code $defs} entry, a branch of {@code oneOf}) would never be applied: such a schema is refused.
 */
final class SchemaDefaults {

    /** Keywords whose value maps names to subschemas. */
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs", "definitions",
            "dependentSchemas");
    /** Keywords whose value is a subschema, or (for the first three) an array of them. */
    private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
    private static final Set<String> SCHEMAS = Set.of("items", "additionalItems", "additionalProperties", "not", "if",
            "then", "else", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems");

    private SchemaDefaults() {}

    /** Property name to default, in the schema's order; {@code schemaName} names the schema in the error. */
    static Map<String, JsonNode> topLevel(JsonNode schema, String schemaName) {
        Map<String, JsonNode> defaults = new LinkedHashMap<>();
        schema.path("properties").properties().forEach(property -> {
            JsonNode value = property.getValue().get("default");
            if (value != null) {
                defaults.put(property.getKey(), value);
            }
        });
        List<String> elsewhere = new ArrayList<>();
        if (schema.has("default")) {
            elsewhere.add("$");
        }
        scanKeywords(schema, "$", true, elsewhere);
        if (!elsewhere.isEmpty()) {
            throw new IllegalStateException(schemaName + " declares defaults that would not be applied (only top-level "
                    + "properties' are): " + String.join(", ", elsewhere));
        }
        return Collections.unmodifiableMap(defaults);
    }

    private static void scanKeywords(JsonNode schema, String at, boolean root, List<String> elsewhere) {
        schema.properties().forEach(keyword -> {
            String name = keyword.getKey();
            JsonNode value = keyword.getValue();
            if (SCHEMA_MAPS.contains(name)) {
                boolean ownProperties = root && name.equals("properties");
                value.properties().forEach(entry -> scan(entry.getValue(), at + "/" + name + "/" + entry.getKey(),
                        ownProperties, elsewhere));
            } else if (SCHEMA_LISTS.contains(name) || (SCHEMAS.contains(name) && value.isArray())) {
                for (int i = 0; i < value.size(); i++) {
                    scan(value.get(i), at + "/" + name + "/" + i, false, elsewhere);
                }
            } else if (SCHEMAS.contains(name)) {
                scan(value, at + "/" + name, false, elsewhere);
            }
            // Any other keyword's value is data (enum, const, examples, default, errorMessage, …), not a schema.
        });
    }

    private static void scan(JsonNode schema, String at, boolean topLevelProperty, List<String> elsewhere) {
        if (!schema.isObject()) {
            return; // true / false
        }
        if (schema.has("default") && !topLevelProperty) {
            elsewhere.add(at);
        }
        scanKeywords(schema, at, false, elsewhere);
    }
}
