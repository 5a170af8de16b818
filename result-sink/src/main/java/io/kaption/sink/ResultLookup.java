package io.kaption.sink;

import io.kaption.events.RequestEventHub;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.serde.ContractCodec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/** {@code GET /v1/requests/{id}}: the result (200) once known, else after the wait {@code 202 pending}. */
final class ResultLookup {

    private ResultLookup() {}

    static void respond(Vertx vertx, HttpServerResponse response, RequestEventHub hub, String requestId,
                        int waitSeconds) {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<GenerationResult> result = hub.result(requestId);
        long[] timer = {-1};
        result.whenComplete((value, error) -> context.runOnContext(ignored -> {
            vertx.cancelTimer(timer[0]);
            reply(response, requestId, value, error);
        }));
        if (result.isDone()) {
            return;
        }
        if (waitSeconds == 0) {
            result.cancel(false);
            return;
        }
        // Cancelling unsubscribes from the hub; it then completes the future, which replies "pending".
        timer[0] = vertx.setTimer(waitSeconds * 1000L, id -> result.cancel(false));
        response.closeHandler(closed -> result.cancel(false));
    }

    private static void reply(HttpServerResponse response, String requestId, GenerationResult value,
                              Throwable error) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (value != null) {
            Json.send(response, 200, new String(ContractCodec.RESULTS.encode(value), StandardCharsets.UTF_8));
        } else if (error instanceof CancellationException) {
            Json.send(response, 202, new JsonObject().put("request_id", requestId).put("status", "pending"));
        } else {
            HttpErrors.send(response, 503, "unavailable", "the result sink is shutting down");
        }
    }
}
