package io.kaption.sink;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** JSON responses. */
final class Json {

    static final String CONTENT_TYPE = "application/json";

    private Json() {}

    static void send(HttpServerResponse response, int status, JsonObject body) {
        send(response, status, body.encode());
    }

    static void send(HttpServerResponse response, int status, String json) {
        response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(json);
    }
}
