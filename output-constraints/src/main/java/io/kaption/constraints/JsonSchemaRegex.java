package io.kaption.constraints;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema (the subset in the module README) to a regular expression, in Python's syntax, of compact
 * JSON texts ({@code json.dumps(..., separators=(",", ":"))}: no whitespace) that are valid against it. Objects write
 * their properties in the order the schema lists them. Keywords outside the subset are refused, so that no
 * constraint the client asked for is silently dropped.
 */
final class JsonSchemaRegex {

    /** Nesting depth of values whose shape the schema leaves open ({@code {}}, an object without properties). */
    static final int FREE_DEPTH = 2;
    private static final int MAX_REF_DEPTH = 16;
    private static final int MAX_LENGTH_BOUND = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment",
            "default", "examples", "$defs", "definitions", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "items", "minItems", "maxItems", "minLength", "maxLength", "enum", "const", "anyOf", "$ref");

    static final String STRING_CHAR = "(?:[^\"\\\\\\x00-\\x1f]|\\\\[\"\\\\/bfnrt])";
    static final String STRING = "\"" + STRING_CHAR + "*\"";
    static final String INTEGER = "-?(?:0|[1-9][0-9]*)";
    static final String NUMBER = INTEGER + "(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?";
    private static final String SCALAR = STRING + "|" + NUMBER + "|true|false|null";

    private final JsonNode root;

    private JsonSchemaRegex(JsonNode root) {
        this.root = root;
    }

    static String compile(JsonNode schema) {
        return new JsonSchemaRegex(schema).value(schema, "$", 0);
    }

    private String value(JsonNode schema, String path, int refDepth) {
        if (schema.isBoolean()) {
            if (!schema.asBoolean()) {
                throw new ConstraintException("json_schema " + path + ": false admits no value");
            }
            return free(FREE_DEPTH);
        }
        if (!schema.isObject()) {
            throw new ConstraintException("json_schema " + path + ": a schema must be an object or a boolean");
        }
        for (Iterator<String> names = schema.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYWORDS.contains(name) && !ANNOTATIONS.contains(name)) {
                throw new ConstraintException("json_schema " + path + ": keyword '" + name + "' is not supported "
                        + "(supported: " + String.join(", ", KEYWORDS.stream().sorted().toList()) + ")");
            }
        }
        if (schema.has("$ref")) {
            if (schema.size() > 1 && schema.has("type")) {
                throw new ConstraintException("json_schema " + path + ": $ref next to other keywords is not supported");
            }
            return value(resolve(schema.get("$ref"), path, refDepth), path, refDepth + 1);
        }
        if (schema.has("const")) {
            return literal(schema.get("const"));
        }
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw new ConstraintException("json_schema " + path + ".enum: must be a non-empty array");
            }
            List<String> options = new ArrayList<>();
            values.forEach(v -> options.add(literal(v)));
            return group(options);
        }
        if (schema.has("anyOf")) {
            JsonNode branches = schema.get("anyOf");
            if (!branches.isArray() || branches.isEmpty()) {
                throw new ConstraintException("json_schema " + path + ".anyOf: must be a non-empty array");
            }
            List<String> options = new ArrayList<>();
            for (int i = 0; i < branches.size(); i++) {
                options.add(value(branches.get(i), path + ".anyOf[" + i + "]", refDepth));
            }
            return group(options);
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            if (schema.has("properties")) {
                return object(schema, path, refDepth);
            }
            if (schema.has("items")) {
                return array(schema, path, refDepth);
            }
            return free(FREE_DEPTH);
        }
        if (type.isArray()) {
            Set<String> options = new LinkedHashSet<>();
            for (JsonNode t : type) {
                options.add(typed(t.asText(), schema, path, refDepth));
            }
            return group(new ArrayList<>(options));
        }
        return typed(type.asText(), schema, path, refDepth);
    }

    private String typed(String type, JsonNode schema, String path, int refDepth) {
        return switch (type) {
            case "string" -> string(schema, path);
            case "integer" -> INTEGER;
            case "number" -> NUMBER;
            case "boolean" -> "(?:true|false)";
            case "null" -> "null";
            case "object" -> object(schema, path, refDepth);
            case "array" -> array(schema, path, refDepth);
            default -> throw new ConstraintException("json_schema " + path + ".type: unknown type '" + type + "'");
        };
    }

    private String string(JsonNode schema, String path) {
        int min = count(schema, "minLength", path, 0);
        int max = count(schema, "maxLength", path, -1);
        if (min == 0 && max == -1) {
            return STRING;
        }
        checkBounds(min, max, path, "minLength", "maxLength");
        return "\"" + STRING_CHAR + "{" + min + "," + (max == -1 ? "" : max) + "}\"";
    }

    private String array(JsonNode schema, String path, int refDepth) {
        String item = schema.has("items") ? value(schema.get("items"), path + ".items", refDepth) : free(FREE_DEPTH - 1);
        int min = count(schema, "minItems", path, 0);
        int max = count(schema, "maxItems", path, -1);
        checkBounds(min, max, path, "minItems", "maxItems");
        if (max == 0) {
            return "\\[\\]";
        }
        String rest = "(?:," + group(List.of(item)) + ")";
        String more = "{" + Math.max(min - 1, 0) + "," + (max == -1 ? "" : String.valueOf(max - 1)) + "}";
        String items = group(List.of(item)) + rest + more;
        return "\\[" + (min == 0 ? "(?:" + items + ")?" : items) + "\\]";
    }

    private String object(JsonNode schema, String path, int refDepth) {
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        Set<String> required = new LinkedHashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        if (properties.isMissingNode() || properties.isEmpty()) {
            if (!required.isEmpty()) {
                throw new ConstraintException("json_schema " + path + ".required: names properties the schema does "
                        + "not define");
            }
            boolean closed = additional != null && additional.isBoolean() && !additional.asBoolean();
            return closed ? "\\{\\}" : freeObject(FREE_DEPTH - 1);
        }
        if (!properties.isObject()) {
            throw new ConstraintException("json_schema " + path + ".properties: must be an object");
        }
        for (String name : required) {
            if (!properties.has(name)) {
                throw new ConstraintException("json_schema " + path + ".required: '" + name + "' is not in properties");
            }
        }
        // Extra properties are never written: valid whether additionalProperties is false, true or a schema.
        List<String> members = new ArrayList<>();
        List<Boolean> mandatory = new ArrayList<>();
        for (Map.Entry<String, JsonNode> property : properties.properties()) {
            String key = literal(JSON.getNodeFactory().textNode(property.getKey()));
            members.add(key + ":" + group(List.of(value(property.getValue(), path + ".properties." + property.getKey(),
                    refDepth))));
            mandatory.add(required.contains(property.getKey()));
        }
        // The first member written is k (every earlier one optional); each later one is ",member", optional or not.
        List<String> alternatives = new ArrayList<>();
        for (int k = 0; k < members.size(); k++) {
            StringBuilder body = new StringBuilder(members.get(k));
            for (int j = k + 1; j < members.size(); j++) {
                body.append(mandatory.get(j) ? "," + members.get(j) : "(?:," + members.get(j) + ")?");
            }
            alternatives.add(body.toString());
            if (mandatory.get(k)) {
                break;
            }
        }
        String inside = group(alternatives);
        return "\\{" + (mandatory.contains(true) ? inside : "(?:" + inside + ")?") + "\\}";
    }

    private JsonNode resolve(JsonNode ref, String path, int refDepth) {
        if (refDepth >= MAX_REF_DEPTH) {
            throw new ConstraintException("json_schema " + path + ": $ref nested more than " + MAX_REF_DEPTH
                    + " deep (recursive schemas are not supported)");
        }
        String pointer = ref.asText();
        if (!pointer.startsWith("#")) {
            throw new ConstraintException("json_schema " + path + ".$ref: only local references (#/$defs/...) are "
                    + "supported");
        }
        JsonNode target = root.at(pointer.substring(1));
        if (target.isMissingNode()) {
            throw new ConstraintException("json_schema " + path + ".$ref: " + pointer + " does not exist");
        }
        return target;
    }

    /** Any JSON value nested at most {@code depth} levels. */
    private static String free(int depth) {
        if (depth <= 0) {
            return "(?:" + SCALAR + ")";
        }
        String inner = free(depth - 1);
        return "(?:" + SCALAR + "|\\[(?:" + inner + "(?:," + inner + ")*)?\\]|" + freeObject(depth - 1) + ")";
    }

    private static String freeObject(int depth) {
        String inner = free(depth);
        return "\\{(?:" + STRING + ":" + inner + "(?:," + STRING + ":" + inner + ")*)?\\}";
    }

    private static int count(JsonNode schema, String keyword, String path, int absent) {
        JsonNode n = schema.get(keyword);
        if (n == null) {
            return absent;
        }
        if (!n.canConvertToExactIntegral() || n.asLong() < 0 || n.asLong() > MAX_LENGTH_BOUND) {
            throw new ConstraintException("json_schema " + path + "." + keyword + ": must be an integer in [0, "
                    + MAX_LENGTH_BOUND + "]");
        }
        return n.asInt();
    }

    private static void checkBounds(int min, int max, String path, String minName, String maxName) {
        if (max != -1 && max < min) {
            throw new ConstraintException("json_schema " + path + ": " + minName + " is greater than " + maxName);
        }
    }

    private static String group(List<String> options) {
        return options.size() == 1 ? "(?:" + options.get(0) + ")" : "(?:" + String.join("|", options) + ")";
    }

    /** A regex matching exactly the compact JSON text of {@code value}. */
    private static String literal(JsonNode value) {
        try {
            return quote(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new ConstraintException("json_schema: cannot serialize " + value);
        }
    }

    /** Escapes every character that is not a letter, digit or non-ASCII (Python reads "\\<punct>" as the char). */
    static String quote(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c < 0x80 && !Character.isLetterOrDigit(c)) {
                if (c < 0x20 || c == 0x7f) {
                    out.append(String.format("\\x%02x", c));
                } else {
                    out.append('\\').appendCodePoint(c);
                }
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
