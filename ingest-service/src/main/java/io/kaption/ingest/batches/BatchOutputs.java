package io.kaption.ingest.batches;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.files.FileObject;
import io.kaption.ingest.files.FileStore;
import io.kaption.ingest.files.ObjectIds;
import io.kaption.ingest.files.S3Objects;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.openai.ChatCompletionResponses;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.jobs.JobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Assembles a batch's output and error files from its ended bucket job: the result shards become
 * {@code chat.completion} lines (the live endpoint's {@link ChatCompletionResponses}), the error shards and the lines
 * refused at validation become error lines, and the requests of the manifest a cancelled job never planned become
 * {@code batch_cancelled} (or {@code batch_expired}) lines. Each {@code custom_id} is written once (the shards already hold each
 * record once; a repeat would be dropped here). Everything written is derived from the job's manifest and the batch
 * (file ids, line ids, {@code created}), so assembling again after a crash writes the same objects with the same
 * bytes. Blocking.
 */
final class BatchOutputs {

    private static final Logger LOG = LoggerFactory.getLogger(BatchOutputs.class);

    /** The files written (ids, null where there were no lines) and their line counts. */
    record Files(String outputFileId, String errorFileId, int completed, int failed) {
    }

    private final S3Objects objects;
    private final FileStore files;

    BatchOutputs(S3Objects objects, FileStore files) {
        this.objects = objects;
        this.files = files;
    }

    Files assemble(ObjectNode batch, JobStatus job, boolean expiring) {
        String batchId = batch.get("id").asText();
        Instant finished = job.finishedAt() != null ? job.finishedAt() : job.updatedAt();
        long created = finished.getEpochSecond();
        List<ObjectNode> output = new ArrayList<>();
        List<ObjectNode> errors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Manifest manifest = manifest(job);
        for (String shard : manifest.results()) {
            for (JsonNode line : shardLines(shard)) {
                String customId = line.path("record_id").asText();
                if (once(seen, batchId, customId)) {
                    output.add(completed(batchId, job.consumerGroup(), created, line));
                }
            }
        }
        for (String shard : manifest.errors()) {
            for (JsonNode line : shardLines(shard)) {
                String customId = line.path("record_id").asText();
                if (once(seen, batchId, customId)) {
                    errors.add(failed(batchId, line, expiring));
                }
            }
        }
        for (JsonNode line : jsonl(objects.get(BatchStore.refusedKey(batchId)).orElse(new byte[0]))) {
            if (once(seen, batchId, line.path("custom_id").asText())) {
                errors.add((ObjectNode) line);
            }
        }
        // A cancelled job stops planning: the requests it never planned have no line in its shards.
        for (JsonNode request : jsonl(objects.get(BatchStore.inputKey(batchId)).orElse(new byte[0]))) {
            String customId = request.path("custom_id").asText();
            if (seen.add(customId)) {
                errors.add(notRun(batchId, customId, expiring));
            }
        }
        String owner = BatchStatus.owner(batch);
        Instant batchCreated = Instant.ofEpochSecond(batch.get("created_at").asLong());
        String outputId = output.isEmpty() ? null : write(batchId, "output", batchCreated, created, owner, output);
        String errorId = errors.isEmpty() ? null : write(batchId, "error", batchCreated, created, owner, errors);
        LOG.info("batch_id={} output files assembled from job {}: {} output lines ({}), {} error lines ({})", batchId,
                job.jobId(), output.size(), outputId, errors.size(), errorId);
        return new Files(outputId, errorId, output.size(), errors.size());
    }

    private String write(String batchId, String kind, Instant batchCreated, long created, String owner,
                         List<ObjectNode> lines) {
        String id = ObjectIds.derived("file-", batchCreated, batchId + "/" + kind);
        byte[] content = BatchInput.jsonl(lines);
        files.write(new FileObject(id, content.length, created, batchId + "_" + kind + ".jsonl",
                FileObject.BATCH_OUTPUT, owner), content);
        return id;
    }

    private static boolean once(Set<String> seen, String batchId, String customId) {
        if (seen.add(customId)) {
            return true;
        }
        LOG.warn("batch_id={} custom_id {} has a second line in the job's shards; the first is kept", batchId,
                customId);
        return false;
    }

    private static ObjectNode completed(String batchId, String group, long created, JsonNode line) {
        String requestId = line.path("request_id").asText();
        GenerationResult result;
        try {
            result = new GenerationResult(requestId, Texts.of(line.path("text").asText()),
                    Json.MAPPER.treeToValue(line.get("finish_reason"), FinishReason.class),
                    line.hasNonNull("usage")
                            ? Json.MAPPER.treeToValue(line.get("usage"), GenerationResult.Usage.class) : null,
                    null, null, line.path("record_id").asText(), null, null, null, null, null);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a result shard line is not the shard writer's format: " + line, e);
        }
        ObjectNode completion = ChatCompletionResponses.forRequest(requestId, created, group, false)
                .completion(result);
        return BatchLines.completed(batchId, line.path("record_id").asText(), requestId, completion);
    }

    private static ObjectNode failed(String batchId, JsonNode line, boolean expiring) {
        String customId = line.path("record_id").asText();
        String code = line.path("error").path("code").asText();
        String message = line.path("error").path("message").asText();
        if (code.equals("cancelled")) {
            return notRun(batchId, customId, expiring);
        }
        int status = code.equals("inference_failed") ? 500 : 400;
        return BatchLines.failed(batchId, customId, line.path("request_id").asText(), status, code, message);
    }

    private static ObjectNode notRun(String batchId, String customId, boolean expiring) {
        return expiring
                ? BatchLines.notRun(batchId, customId, "batch_expired",
                        "This request could not be executed before the completion window expired.")
                : BatchLines.notRun(batchId, customId, "batch_cancelled",
                        "This request was not executed because the batch was cancelled.");
    }

    private record Manifest(List<String> results, List<String> errors) {
    }

    private Manifest manifest(JobStatus job) {
        if (job.manifestUri() == null) {
            return new Manifest(List.of(), List.of());
        }
        byte[] bytes = objects.getUri(job.manifestUri()).orElseThrow(() -> new IllegalStateException(
                "job " + job.jobId() + " names manifest " + job.manifestUri() + ", which is not there"));
        ObjectNode manifest = Json.parseObject(bytes, "the manifest of job " + job.jobId());
        return new Manifest(texts(manifest.path("results")), texts(manifest.path("errors")));
    }

    private List<JsonNode> shardLines(String uri) {
        Optional<byte[]> bytes = objects.getUri(uri);
        return jsonl(bytes.orElseThrow(() -> new IllegalStateException("shard " + uri + " is not there")));
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private static List<JsonNode> jsonl(byte[] bytes) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                lines.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8), "a shard line"));
            }
        }
        return lines;
    }
}
