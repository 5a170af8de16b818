package io.kaption.ingest.batches;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.images.ImageIntakeException;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.ingest.openai.ChatCall;
import io.kaption.ingest.openai.ChatCompletionRequests;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A batch's input file, validated line by line when the batch is created. Each line is
 * {@code {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {…}}}; the body is read by the live
 * endpoint's own {@link ChatCompletionRequests#parse}, so a batch line takes exactly what
 * {@code POST /v1/chat/completions} takes. A line that cannot be told apart from the others (not JSON, no
 * {@code custom_id}, a {@code custom_id} used twice) fails the whole batch, as at OpenAI; a line with a bad body,
 * method or URL becomes an error line under its {@code custom_id} and the batch runs the others.
 *
 * @param consumerGroup the group the lines' {@code model} names (every line of a batch must name the same)
 * @param requests      the bucket job's manifest lines: {@code custom_id} plus the request's fields
 * @param refused       the error lines of the lines refused here
 * @param total         lines in the file
 */
record BatchInput(String consumerGroup, List<ObjectNode> requests, List<ObjectNode> refused, int total) {

    static final String ENDPOINT = "/v1/chat/completions";
    /** Fields a job sets per record (see the job planner's manifest lines). */
    private static final List<String> JOB_FIELDS =
            List.of("request_id", "stream", "consumer_group", "output_uri", "job_id", "record_id", "created_at");
    /** OpenAI's own limit of requests per batch. */
    static final int MAX_LINES = 50_000;
    private static final int MAX_REPORTED_ERRORS = 100;

    /** The whole batch is refused: OpenAI's {@code errors.data} entries. */
    static final class Invalid extends RuntimeException {
        private final List<ObjectNode> errors;

        Invalid(List<ObjectNode> errors) {
            super(errors.get(0).path("message").asText());
            this.errors = List.copyOf(errors);
        }

        List<ObjectNode> errors() {
            return errors;
        }
    }

    /** Where a line's image goes: the URL its request carries (a large {@code data:} image is claim-checked). */
    @FunctionalInterface
    interface ImagePlacement {
        /** @throws ApiException or {@link io.kaption.images.ImageIntakeException} when the image is refused */
        String place(String requestId, String url);
    }

    /** Every URL as written: for tests of the line rules. */
    static final ImagePlacement AS_WRITTEN = (requestId, url) -> url;

    static BatchInput parse(byte[] content, String batchId, Function<Optional<String>, String> groupOfModel) {
        return parse(content, batchId, groupOfModel, AS_WRITTEN);
    }

    /**
     * @param groupOfModel the consumer group a line's {@code model} (empty: none given) routes to, as the live
     *                     endpoint routes it
     * @param images       where each image URL of a valid line goes
     */
    static BatchInput parse(byte[] content, String batchId, Function<Optional<String>, String> groupOfModel,
                            ImagePlacement images) {
        String text = new String(content, StandardCharsets.UTF_8);
        List<ObjectNode> errors = new ArrayList<>();
        List<ObjectNode> requests = new ArrayList<>();
        List<ObjectNode> refused = new ArrayList<>();
        Set<String> customIds = new HashSet<>();
        Map<Optional<String>, String> groups = new HashMap<>();
        String batchGroup = null;
        int total = 0;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            total++;
            if (total > MAX_LINES) {
                errors.add(error("too_many_requests", number, null, "a batch has at most " + MAX_LINES
                        + " requests"));
                break;
            }
            JsonNode tree;
            try {
                tree = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                errors.add(error("invalid_json_line", number, null, "line " + number + " is not valid JSON: "
                        + e.getOriginalMessage()));
                continue;
            }
            if (tree == null || !tree.isObject()) {
                errors.add(error("invalid_json_line", number, null, "line " + number + " is not a JSON object"));
                continue;
            }
            JsonNode id = tree.get("custom_id");
            if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
                errors.add(error("missing_custom_id", number, "custom_id", "line " + number
                        + ": custom_id is required (a non-empty string)"));
                continue;
            }
            String customId = id.textValue();
            if (!customIds.add(customId)) {
                errors.add(error("duplicate_custom_id", number, "custom_id", "line " + number + ": custom_id '"
                        + customId + "' is used by an earlier line; each request needs its own"));
                continue;
            }
            String requestId = batchId + "-line-" + number;
            try {
                ChatCall call = call((ObjectNode) tree, number);
                String group = groups.computeIfAbsent(call.model(), groupOfModel);
                if (batchGroup == null) {
                    batchGroup = group;
                } else if (!batchGroup.equals(group)) {
                    throw ApiException.badRequest("model_mismatch", "line " + number + ": model '"
                            + call.model().orElse("") + "' is served by consumer group " + group
                            + ", the batch's earlier lines by " + batchGroup + "; a batch uses one model");
                }
                requests.add(manifestLine(customId, call, requestId, images));
            } catch (ApiException e) {
                refused.add(BatchLines.failed(batchId, customId, requestId, e.status(), e.code(), e.getMessage()));
            } catch (ImageIntakeException e) {
                ApiException refusal = ApiException.of(e);
                refused.add(BatchLines.failed(batchId, customId, requestId, refusal.status(), refusal.code(),
                        refusal.getMessage()));
            }
        }
        if (total == 0) {
            errors.add(error("empty_file", 0, null, "the input file has no requests"));
        }
        if (!errors.isEmpty()) {
            throw new Invalid(errors.subList(0, Math.min(errors.size(), MAX_REPORTED_ERRORS)));
        }
        return new BatchInput(batchGroup == null ? groupOfModel.apply(Optional.empty()) : batchGroup, requests,
                refused, total);
    }

    private static ChatCall call(ObjectNode line, int number) {
        JsonNode method = line.get("method");
        if (method == null || !"POST".equals(method.asText())) {
            throw ApiException.badRequest("invalid_method", "line " + number + ": method must be POST");
        }
        JsonNode url = line.get("url");
        if (url == null || !ENDPOINT.equals(url.asText())) {
            throw ApiException.badRequest("invalid_url", "line " + number + ": url must be the batch's endpoint "
                    + ENDPOINT);
        }
        JsonNode body = line.get("body");
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("invalid_request", "line " + number + ": body must be a JSON object");
        }
        if (body.path("stream").asBoolean(false)) {
            throw new ApiException(400, "unsupported_parameter", "stream: a batch request is not streamed");
        }
        return ChatCompletionRequests.parse((ObjectNode) body, "batch-validation");
    }

    /** {@code custom_id} plus the request's fields without those the job sets, validated with the images in. */
    private static ObjectNode manifestLine(String customId, ChatCall call, String requestId, ImagePlacement images) {
        GenerationRequest draft = call.draft();
        List<String> imageUrls = call.images().stream()
                .map(image -> images.place(requestId, ((ImageSource.Url) image).url())).toList();
        if (!imageUrls.isEmpty()) {
            draft = draft.toBuilder().imageUrls(imageUrls).build();
        }
        ObjectNode request;
        try {
            request = ((ObjectNode) ContractCodec.REQUESTS.toValidatedTree(draft)).deepCopy();
        } catch (InvalidRecordException e) {
            throw ApiException.badRequest("invalid_request", String.join("; ", e.violations()));
        }
        request.remove(JOB_FIELDS);
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("custom_id", customId);
        line.setAll(request);
        return line;
    }

    private static ObjectNode error(String code, int line, String param, String message) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (line > 0) {
            error.put("line", line);
        } else {
            error.putNull("line");
        }
        return error;
    }

    /** The manifest as JSONL. */
    byte[] manifest() {
        return jsonl(requests);
    }

    static byte[] jsonl(List<? extends JsonNode> lines) {
        StringBuilder out = new StringBuilder();
        lines.forEach(line -> out.append(Json.write(line)).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static ArrayNode array(List<ObjectNode> nodes) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        nodes.forEach(array::add);
        return array;
    }
}
