package io.kaption.jobs.planning;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;

/**
 * One line of a JSONL manifest: {@code record_id} (or {@code custom_id}, or {@code recordId}), {@code image_url}, and
 * the record's own Takeoff fields, which override the job's template. A line that carries a conversation
 * ({@code messages}, as the OpenAI Batch API's lines become) brings its images in {@code image_urls}, or none, and
 * needs no {@code image_url}.
 */
sealed interface ManifestLine {

    /** The id fields, in order of precedence. */
    List<String> ID_FIELDS = List.of("record_id", "custom_id", "recordId");
    String IMAGE_URL = "image_url";
    String MESSAGES = "messages";
    /** Fields the job sets on every request; a line may not choose them (the job template may not either). */
    Set<String> JOB_FIELDS = Set.of("request_id", "stream", "consumer_group", "output_uri", "job_id", "created_at");

    String recordId();

    /**
     * A usable line; {@code overrides} holds its fields other than the id fields and the image URL; {@code imageUrl}
     * is null for a conversation line without one.
     */
    record Entry(String recordId, String imageUrl, ObjectNode overrides) implements ManifestLine {
    }

    /** A line that cannot become a request; {@code imageUrl} is null when the line has none. */
    record Refused(String recordId, String imageUrl, String reason) implements ManifestLine {
    }

    ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    // Parse errors quote at most a short token: the message goes into an error line.
                    .errorReportConfiguration(ErrorReportConfiguration.builder()
                            .maxErrorTokenLength(32)
                            .maxRawContentLength(0)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The record id of a line that names none: {@code line-<n>}, n the 1-based line number in the manifest. */
    static String lineRecordId(long lineNumber) {
        return "line-" + lineNumber;
    }

    /** Parses the text of line {@code lineNumber} (1-based), which is not blank. */
    static ManifestLine parse(String text, long lineNumber) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return new Refused(lineRecordId(lineNumber), null,
                    "line " + lineNumber + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            return new Refused(lineRecordId(lineNumber), null, "line " + lineNumber + " is not a JSON object");
        }
        ObjectNode fields = (ObjectNode) tree;
        String recordId = null;
        for (String idField : ID_FIELDS) {
            JsonNode id = fields.get(idField);
            if (id == null || id.isNull()) {
                continue;
            }
            if (id.isTextual() && !id.textValue().isEmpty()) {
                recordId = id.textValue();
            } else if (id.isIntegralNumber()) {
                recordId = id.asText();
            } else {
                return new Refused(lineRecordId(lineNumber), textOrNull(fields.get(IMAGE_URL)),
                        "line " + lineNumber + ": " + idField + " must be a non-empty string");
            }
            break;
        }
        if (recordId == null) {
            recordId = lineRecordId(lineNumber);
        }
        String imageUrl = textOrNull(fields.get(IMAGE_URL));
        if (imageUrl == null && !fields.has(MESSAGES)) {
            return new Refused(recordId, null, "line " + lineNumber
                    + ": image_url is required (a non-empty string) unless the line is a conversation (messages)");
        }
        List<String> jobFields = fields.properties().stream().map(java.util.Map.Entry::getKey)
                .filter(JOB_FIELDS::contains).sorted().toList();
        if (!jobFields.isEmpty()) {
            return new Refused(recordId, imageUrl, "line " + lineNumber + ": " + String.join(", ", jobFields)
                    + (jobFields.size() == 1 ? " is" : " are") + " set by the job, not by a manifest line");
        }
        ObjectNode overrides = fields.deepCopy();
        overrides.remove(ID_FIELDS);
        overrides.remove(IMAGE_URL);
        return new Entry(recordId, imageUrl, overrides);
    }

    private static String textOrNull(JsonNode node) {
        return node != null && node.isTextual() && !node.textValue().isEmpty() ? node.textValue() : null;
    }
}
