package io.kaption.ingest.batches;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.files.S3Objects;
import io.kaption.ingest.http.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Batches in S3 under {@code KAPTION_FILES_URI}: the batch document at {@code batches/<id>.json} (OpenAI's batch
 * object plus Kaption's own fields under {@code kaption}), an empty marker at {@code batches-open/<id>} while the
 * batch has not ended (what the sweep for progress and expiry lists), and the batch's data under
 * {@code batch-data/<id>/}: the bucket job's manifest {@code input.jsonl}, the error lines of the lines refused at
 * validation {@code refused.jsonl}, and the job's own output under {@code job/}. Blocking.
 */
final class BatchStore {

    static final String BATCHES = "batches/";
    static final String OPEN = "batches-open/";
    private static final int LIST_PAGE = 1000;

    private final S3Objects objects;

    record Page(List<ObjectNode> batches, boolean hasMore) {
    }

    BatchStore(S3Objects objects) {
        this.objects = objects;
    }

    S3Objects objects() {
        return objects;
    }

    void save(ObjectNode batch) {
        String id = batch.get("id").asText();
        boolean open = !BatchStatus.isTerminal(batch.get("status").asText());
        if (open) {
            objects.put(OPEN + id, new byte[0], "application/octet-stream");
        }
        objects.put(BATCHES + id + ".json", Json.write(batch).getBytes(StandardCharsets.UTF_8), "application/json");
        if (!open) {
            objects.delete(OPEN + id);
        }
    }

    /** The batch, if it exists and {@code owner} may see it (null owner: keys are off). */
    Optional<ObjectNode> find(String id, String owner) {
        if (!id.startsWith("batch_") || id.contains("/")) {
            return Optional.empty();
        }
        return objects.get(BATCHES + id + ".json").map(bytes -> Json.parseObject(bytes, "batch " + id))
                .filter(batch -> owner == null || Objects.equals(owner, BatchStatus.owner(batch)));
    }

    /** Ids of the batches that have not ended, every owner's. */
    List<String> open() {
        List<String> ids = new ArrayList<>();
        String startAfter = null;
        while (true) {
            List<String> keys = objects.keys(OPEN, startAfter, LIST_PAGE);
            keys.forEach(key -> ids.add(key.substring(OPEN.length())));
            if (keys.size() < LIST_PAGE) {
                return ids;
            }
            startAfter = keys.get(keys.size() - 1);
        }
    }

    /** Newest first, after the batch {@code after} (null: from the newest). */
    Page list(String owner, int limit, String after) {
        List<ObjectNode> batches = new ArrayList<>();
        String startAfter = after == null ? null : BATCHES + after + ".json";
        while (true) {
            List<String> keys = objects.keys(BATCHES, startAfter, LIST_PAGE);
            for (String key : keys) {
                String id = key.substring(BATCHES.length(), key.length() - ".json".length());
                Optional<ObjectNode> batch = find(id, owner);
                if (batch.isPresent()) {
                    if (batches.size() == limit) {
                        return new Page(batches, true);
                    }
                    batches.add(batch.get());
                }
            }
            if (keys.size() < LIST_PAGE) {
                return new Page(batches, false);
            }
            startAfter = keys.get(keys.size() - 1);
        }
    }

    static String inputKey(String batchId) {
        return "batch-data/" + batchId + "/input.jsonl";
    }

    static String refusedKey(String batchId) {
        return "batch-data/" + batchId + "/refused.jsonl";
    }

    static String jobOutputKey(String batchId) {
        return "batch-data/" + batchId + "/job";
    }
}
