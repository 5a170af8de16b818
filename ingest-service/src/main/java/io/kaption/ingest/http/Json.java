package io.kaption.ingest.http;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** JSON of the HTTP API: strict reading, compact writing (one SSE {@code data:} line per value). */
public final class Json {

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    // Parse errors quote at most a short token: never image data in error bodies and logs.
                    .errorReportConfiguration(ErrorReportConfiguration.builder()
                            .maxErrorTokenLength(32)
                            .maxRawContentLength(0)
                            .build())
                    // The body cap bounds every string; Jackson's own default (20 M characters) would refuse a
                    // data: URL of an image over 15 MB, which the image cap admits.
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {
    }

    /** {@code bytes} as a JSON object, or a 400 {@code invalid_json} naming what is wrong. */
    public static ObjectNode parseObject(byte[] bytes, String what) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("invalid_json", what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // Jackson detects UTF-16/32 from the first bytes; a body starting like UTF-32 (e.g. 00 00 00 22) that is
            // none fails with CharConversionException, an IOException that is not a JsonProcessingException.
            throw ApiException.badRequest("invalid_json", what + " is not valid JSON: not text in UTF-8, UTF-16 or "
                    + "UTF-32");
        }
        if (tree == null || tree.isMissingNode()) {
            throw ApiException.badRequest("invalid_json", what + " is empty; expected a JSON object");
        }
        if (!tree.isObject()) {
            throw ApiException.badRequest("invalid_json", what + " must be a JSON object, got " + kind(tree));
        }
        // 1e400 is read as Infinity, which JSON cannot carry: the published record would hold the string
        // "Infinity", which the contract refuses, and the request would never be answered.
        nonFinite(tree, "$").ifPresent(path -> {
            throw ApiException.badRequest("invalid_json", what + " holds a number beyond the range of a double at "
                    + path);
        });
        return (ObjectNode) tree;
    }

    private static Optional<String> nonFinite(JsonNode node, String path) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.doubleValue()) ? Optional.empty() : Optional.of(path);
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                Optional<String> found = nonFinite(node.get(i), path + "[" + i + "]");
                if (found.isPresent()) {
                    return found;
                }
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                Optional<String> found = nonFinite(field.getValue(), path + "." + field.getKey());
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** "a string", "an array", ... for messages about a value of the wrong type. */
    public static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case NUMBER -> "a number";
            case OBJECT -> "an object";
            case STRING -> "a string";
            default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
