package io.kaption.ingest.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.files.ObjectIds;
import io.kaption.ingest.http.Json;

/**
 * The lines of a batch's output and error files, in OpenAI's format:
 * {@code {"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}}. A request
 * that ran (or was refused like a live request would be) has a {@code response}; one that never ran (the batch was
 * cancelled or expired first) has {@code "response": null} and an {@code error}. Ids are derived from the batch and
 * the custom id, so assembling the files again writes the same bytes.
 */
final class BatchLines {

    private BatchLines() {
    }

    static String lineId(String batchId, String customId) {
        return "batch_req_" + ObjectIds.sha256Hex(batchId + "\n" + customId).substring(0, 32);
    }

    /** A request answered: its {@code chat.completion}. */
    static ObjectNode completed(String batchId, String customId, String requestId, JsonNode completion) {
        return line(batchId, customId, response(200, requestId, completion), null);
    }

    /**
     * A request refused or failed: the error body the live endpoint would have answered with {@code status}.
     */
    static ObjectNode failed(String batchId, String customId, String requestId, int status, String code,
                             String message) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", status >= 500 ? "server_error" : "invalid_request_error");
        error.putNull("param");
        error.put("code", code);
        return line(batchId, customId, response(status, requestId, body), null);
    }

    /** A request that never ran: {@code batch_cancelled} or {@code batch_expired}. */
    static ObjectNode notRun(String batchId, String customId, String code, String message) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        return line(batchId, customId, null, error);
    }

    private static ObjectNode response(int status, String requestId, JsonNode body) {
        ObjectNode response = Json.MAPPER.createObjectNode();
        response.put("status_code", status);
        response.put("request_id", requestId);
        response.set("body", body);
        return response;
    }

    private static ObjectNode line(String batchId, String customId, ObjectNode response, ObjectNode error) {
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("id", lineId(batchId, customId));
        line.put("custom_id", customId);
        if (response == null) {
            line.putNull("response");
        } else {
            line.set("response", response);
        }
        if (error == null) {
            line.putNull("error");
        } else {
            line.set("error", error);
        }
        return line;
    }
}
