package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.Json;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * Takeoff's response bodies. Blocking: {@code {"text": ...}} shaped like the request's text, plus {@code metadata}
 * with token counts when asked for. Streaming: one {@code {"text", "batch_id"}} object per chunk.
 */
public final class TakeoffResponses {

    private TakeoffResponses() {
    }

    public static ObjectNode body(GenerationResult result, boolean returnMetadata) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("text", Json.MAPPER.valueToTree(result.text()));
        if (returnMetadata) {
            body.set("metadata", metadata(result.usage()));
        }
        return body;
    }

    /** The SSE payload of one token chunk. */
    public static String chunk(TokenEvent event) {
        ObjectNode chunk = Json.MAPPER.createObjectNode();
        chunk.put("text", event.text());
        chunk.put("batch_id", event.batchId());
        return Json.write(chunk);
    }

    /** The SSE payload that closes a stream asked to {@code return_metadata}: no text, the request's token counts. */
    public static String metadataChunk(int batchId, GenerationResult.Usage usage) {
        ObjectNode chunk = Json.MAPPER.createObjectNode();
        chunk.put("text", "");
        chunk.put("batch_id", batchId);
        chunk.set("metadata", metadata(usage));
        return Json.write(chunk);
    }

    static ObjectNode metadata(GenerationResult.Usage usage) {
        ObjectNode metadata = Json.MAPPER.createObjectNode();
        GenerationResult.Usage counts = usage == null ? new GenerationResult.Usage(0, 0, 0) : usage;
        metadata.put("prompt_tokens", counts.promptTokens());
        metadata.put("completion_tokens", counts.completionTokens());
        metadata.put("total_tokens", counts.totalTokens());
        return metadata;
    }
}
