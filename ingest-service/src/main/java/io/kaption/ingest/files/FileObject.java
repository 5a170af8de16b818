package io.kaption.ingest.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.Json;

/**
 * A stored file: what OpenAI's file object shows, plus the API key that owns it.
 *
 * @param createdAt epoch seconds
 * @param purpose   {@code batch} (uploaded) or {@code batch_output} (written by Kaption for a batch)
 * @param owner     the owning API key's fingerprint; null when keys are off
 */
public record FileObject(String id, long bytes, long createdAt, String filename, String purpose, String owner) {

    public static final String BATCH = "batch";
    public static final String BATCH_OUTPUT = "batch_output";

    /** OpenAI's file object. */
    public ObjectNode toJson() {
        ObjectNode file = Json.MAPPER.createObjectNode();
        file.put("id", id);
        file.put("object", "file");
        file.put("bytes", bytes);
        file.put("created_at", createdAt);
        file.putNull("expires_at");
        file.put("filename", filename);
        file.put("purpose", purpose);
        file.put("status", "processed");
        file.putNull("status_details");
        return file;
    }

    ObjectNode toStored() {
        ObjectNode stored = toJson();
        if (owner != null) {
            stored.put("owner", owner);
        }
        return stored;
    }

    static FileObject fromStored(ObjectNode stored) {
        return new FileObject(stored.path("id").asText(), stored.path("bytes").asLong(),
                stored.path("created_at").asLong(), stored.path("filename").asText(), stored.path("purpose").asText(),
                stored.hasNonNull("owner") ? stored.get("owner").asText() : null);
    }
}
