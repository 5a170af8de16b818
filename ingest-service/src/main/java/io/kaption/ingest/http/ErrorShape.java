package io.kaption.ingest.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** How an endpoint family spells its error bodies. */
public enum ErrorShape {

    /** {@code {"error":{"code","message"}}}: Kaption's and the Takeoff endpoints' shape. */
    KAPTION,

    /** Kaption's shape plus OpenAI's {@code type} and {@code param}, which OpenAI SDKs read. */
    OPENAI;

    public ObjectNode body(int status, String code, String message) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code);
        error.put("message", message);
        if (this == OPENAI) {
            error.put("type", status >= 500 ? "server_error" : "invalid_request_error");
            error.putNull("param");
        }
        return root;
    }
}
