package io.kaption.sink;

import io.kaption.events.StreamRestart;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.serde.ContractCodec;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The sink's Server-Sent Events, as text. Every {@code data:} is one line of JSON (JSON escapes line breaks), and
 * every event ends with a blank line.
 */
final class SseFormat {

    static final String HEARTBEAT = ": keep-alive\n\n";

    private SseFormat() {}

    /** {@code id: <offset>}, {@code event: token}, data {@code {"text", "batch_id", "index"[, "finish_reason"]}}. */
    static String token(long offset, TokenEvent event) {
        JsonObject data = new JsonObject()
                .put("text", event.text())
                .put("batch_id", event.batchId())
                .put("index", event.index());
        if (event.finishReason() != null) {
            data.put("finish_reason", event.finishReason().name().toLowerCase(Locale.ROOT));
        }
        return "id: " + offset + "\nevent: token\ndata: " + data.encode() + "\n\n";
    }

    /**
     * {@code event: restart} (with {@code id: <offset>} unless it precedes the result, offset -1), data
     * {@code {"batch_id", "text"[, "finish_reason"]}}: the prompt's text so far, replacing what the client has.
     */
    static String restart(long offset, StreamRestart restart) {
        JsonObject data = new JsonObject()
                .put("batch_id", restart.batchId())
                .put("text", restart.text());
        if (restart.finishReason() != null) {
            data.put("finish_reason", restart.finishReason().name().toLowerCase(Locale.ROOT));
        }
        return (offset >= 0 ? "id: " + offset + "\n" : "") + "event: restart\ndata: " + data.encode() + "\n\n";
    }

    /** {@code event: result} with the {@code kaption.results} value as data. */
    static String result(GenerationResult result) {
        return "event: result\ndata: " + new String(ContractCodec.RESULTS.encode(result), StandardCharsets.UTF_8)
                + "\n\n";
    }

    /** {@code event: error} with the API's error body as data. */
    static String error(String code, String message) {
        return "event: error\ndata: " + HttpErrors.body(code, message).encode() + "\n\n";
    }
}
