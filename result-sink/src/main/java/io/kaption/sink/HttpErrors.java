package io.kaption.sink;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Kaption's HTTP error body, {@code {"error":{"code":"lower_snake","message":"..."}}}. */
final class HttpErrors {

    private HttpErrors() {}

    static JsonObject body(String code, String message) {
        return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    }

    static void send(HttpServerResponse response, int status, String code, String message) {
        Json.send(response, status, body(code, message));
    }
}
