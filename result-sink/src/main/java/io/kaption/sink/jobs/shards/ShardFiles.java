package io.kaption.sink.jobs.shards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.serde.ContractCodec;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The bytes of a job's output files: shard lines, shards and {@code manifest.json}, in the design's exact field order.
 * Values are taken from the contract's own JSON form of the record ({@link ContractCodec}), so texts, usage and
 * timestamps are written exactly as on the topics.
 */
final class ShardFiles {

    static final String CONTENT_TYPE_JSONL = "application/x-ndjson";
    static final String CONTENT_TYPE_JSON = "application/json";
    static final String MANIFEST = "manifest.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ShardFiles() {
    }

    /** {@code results-00042.jsonl} or {@code errors-00042.jsonl}. */
    static String shardName(JobRecordType type, int index) {
        return switch (type) {
            case RESULT -> String.format("results-%05d.jsonl", index);
            case ERROR -> String.format("errors-%05d.jsonl", index);
            case END -> throw new IllegalArgumentException("an end record has no shard");
        };
    }

    /** How many shards of {@code shardSize} lines {@code lines} lines make (the last one may be partial). */
    static int shardCount(long lines, int shardSize) {
        return Math.toIntExact((lines + shardSize - 1) / shardSize);
    }

    /**
     * A line of a shard, without its newline. Result: {@code record_id, image_url, text, finish_reason, usage,
     * request_id}; error: {@code record_id, image_url, error, request_id}. A field the record lacks is {@code null}.
     */
    static byte[] line(JobRecord record) {
        JsonNode tree = ContractCodec.JOB_RECORDS.toValidatedTree(record);
        ObjectNode line = NODES.objectNode();
        copy(tree, line, "record_id");
        copy(tree, line, "image_url");
        switch (record.type()) {
            case RESULT -> {
                copy(tree, line, "text");
                copy(tree, line, "finish_reason");
                copy(tree, line, "usage");
            }
            case ERROR -> copy(tree, line, "error");
            case END -> throw new IllegalArgumentException("an end record is not a line");
        }
        copy(tree, line, "request_id");
        return write(line);
    }

    /** The lines, each followed by {@code \n}. */
    static byte[] shard(List<byte[]> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(lines.stream().mapToInt(l -> l.length + 1).sum());
        for (byte[] line : lines) {
            out.writeBytes(line);
            out.write('\n');
        }
        return out.toByteArray();
    }

    /**
     * {@code manifest.json} of a job from its end status: {@code job_id, state, input, input_format, output,
     * consumer_group, created_at, finished_at} (the end status' {@code updated_at}, so a rewrite gives the same bytes),
     * {@code counts {total, completed, failed}}, {@code usage}, {@code error} (only when the job has one), and the
     * URIs of every result and error shard.
     */
    static byte[] manifest(JobStatus status, int shardSize) {
        JsonNode tree = ContractCodec.JOB_STATUS.toValidatedTree(status);
        JobOutputLocation location = JobOutputLocation.of(status.output(), status.jobId());
        ObjectNode manifest = NODES.objectNode();
        copy(tree, manifest, "job_id");
        copy(tree, manifest, "state");
        copy(tree, manifest, "input");
        copy(tree, manifest, "input_format");
        copy(tree, manifest, "output");
        copy(tree, manifest, "consumer_group");
        copy(tree, manifest, "created_at");
        manifest.set("finished_at", tree.get("updated_at"));
        long completed = status.counts().completed();
        long failed = status.counts().failed();
        ObjectNode counts = manifest.putObject("counts");
        counts.put("total", status.counts().total() != null ? status.counts().total() : completed + failed);
        counts.put("completed", completed);
        counts.put("failed", failed);
        copy(tree, manifest, "usage");
        if (tree.hasNonNull("error")) {
            copy(tree, manifest, "error");
        }
        var results = manifest.putArray("results");
        for (int i = 0; i < shardCount(completed, shardSize); i++) {
            results.add(location.uri(shardName(JobRecordType.RESULT, i)));
        }
        var errors = manifest.putArray("errors");
        for (int i = 0; i < shardCount(failed, shardSize); i++) {
            errors.add(location.uri(shardName(JobRecordType.ERROR, i)));
        }
        return write(manifest);
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        to.set(field, value == null ? NullNode.getInstance() : value);
    }

    private static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
