package io.kaption.ingest.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A validated {@code POST /v1/jobs} body. {@link #parse} refuses anything the planner could not plan, each with its
 * own 400 code, so that a job that is accepted fails later only for reasons of its input (a missing object, a bad
 * manifest line), never for its own parameters.
 *
 * @param template the Takeoff fields as the client sent them (the planner applies the contract's defaults)
 * @param clientToken null without one
 */
public record JobSubmission(
        String input,
        InputFormat inputFormat,
        String output,
        ObjectNode template,
        String consumerGroup,
        String clientToken) {

    static final List<String> FIELDS =
            List.of("input", "input_format", "output", "template", "consumer_group", "client_token");
    /** Fields of a request the planner sets per record; a template may not set them. */
    static final Set<String> ROUTING_FIELDS = Set.of("request_id", "image_url", "stream", "consumer_group",
            "output_uri", "job_id", "record_id", "created_at");
    static final int MAX_CLIENT_TOKEN_LENGTH = 256;
    /** The longest file name under {@code <output>/<job_id>/}: {@code results-NNNNN.jsonl}. */
    private static final int LONGEST_OUTPUT_NAME = "results-00000.jsonl".length();

    public JobSubmission {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(inputFormat, "inputFormat");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(consumerGroup, "consumerGroup");
    }

    /** The body as a submission, or a 400 whose code names the field at fault. */
    public static JobSubmission parse(ObjectNode body) {
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw ApiException.badRequest("invalid_request", "unknown field '" + name + "'; a job takes "
                        + String.join(", ", FIELDS));
            }
        }
        String input = requiredString(body, "input", "invalid_input");
        S3Location inputLocation = location(input, "input", "invalid_input");
        InputFormat format = inputFormat(body, input);
        if (format == InputFormat.JSONL && (inputLocation.key().isEmpty() || inputLocation.key().endsWith("/"))) {
            throw ApiException.badRequest("invalid_input", "a jsonl input is the manifest object, s3://bucket/key; "
                    + "got the prefix '" + input + "'");
        }
        String output = requiredString(body, "output", "invalid_output");
        S3Location outputLocation = location(output, "output", "invalid_output");
        if (outputLocation.outputPrefix(JobIds.random()).getBytes(StandardCharsets.UTF_8).length
                + LONGEST_OUTPUT_NAME > S3Location.MAX_KEY_BYTES) {
            throw ApiException.badRequest("invalid_output", "the output prefix is too long: the job's file keys "
                    + "would pass S3's " + S3Location.MAX_KEY_BYTES + " bytes");
        }
        String group = optionalString(body, "consumer_group", "invalid_consumer_group");
        if (group == null) {
            group = Topics.DEFAULT_CONSUMER_GROUP;
        } else if (!Topics.isValidConsumerGroup(group)) {
            throw ApiException.badRequest("invalid_consumer_group", "consumer_group must be 1 to "
                    + Topics.MAX_CONSUMER_GROUP_LENGTH + " characters of [a-zA-Z0-9._-], got '" + group + "'");
        }
        String token = optionalString(body, "client_token", "invalid_client_token");
        if (token != null && (token.isEmpty() || token.length() > MAX_CLIENT_TOKEN_LENGTH)) {
            throw ApiException.badRequest("invalid_client_token", "client_token must be 1 to "
                    + MAX_CLIENT_TOKEN_LENGTH + " characters");
        }
        JsonNode template = body.get("template");
        if (template == null || template.isNull()) {
            template = Json.MAPPER.createObjectNode();
        } else if (!template.isObject()) {
            throw ApiException.badRequest("invalid_template", "template must be an object of Takeoff fields, got "
                    + Json.kind(template));
        }
        JobSubmission submission =
                new JobSubmission(input, format, output, (ObjectNode) template, group, token);
        submission.probeRequest();
        return submission;
    }

    /**
     * This job's id: derived from the client token (and the submitting key's fingerprint, so that two keys' tokens
     * never name the same job) when there is one, else random.
     *
     * @param owner the submitting API key's fingerprint; null when keys are off
     */
    public String newJobId(String owner) {
        if (clientToken == null) {
            return JobIds.random();
        }
        return JobIds.forClientToken(consumerGroup, owner == null ? clientToken : owner + "\n" + clientToken);
    }

    /**
     * Refuses an images job whose outputs would land under its own input prefix: its shards and manifest would be
     * records of any later job on that prefix, and of this one if the planner is still listing.
     */
    public void requireOutputOutsideInput(String jobId) {
        if (inputFormat != InputFormat.IMAGES) {
            return;
        }
        S3Location in = S3Location.parse(input);
        S3Location out = S3Location.parse(output);
        if (in.bucket().equals(out.bucket()) && out.outputPrefix(jobId).startsWith(in.key())) {
            throw ApiException.badRequest("output_inside_input", "the job's files would be written under "
                    + "s3://" + out.bucket() + "/" + out.outputPrefix(jobId) + ", inside the input prefix " + input
                    + ": they would become records; choose an output outside it");
        }
    }

    /** @param owner the submitting API key's fingerprint; null when keys are off */
    public JobSpec toSpec(String jobId, Instant createdAt, String owner) {
        return new JobSpec(jobId, input, inputFormat, output, template.deepCopy(), consumerGroup, clientToken,
                createdAt, owner);
    }

    /**
     * Whether {@code spec} is this submission: same input, format, output, group, token, and a template that makes
     * the same request (so {@code {"max_new_tokens": 128}} and the contract's default of 128 are the same).
     */
    public boolean sameParametersAs(JobSpec spec) {
        if (!input.equals(spec.input()) || inputFormat != spec.inputFormat() || !output.equals(spec.output())
                || !consumerGroup.equals(spec.consumerGroup()) || !Objects.equals(clientToken, spec.clientToken())) {
            return false;
        }
        try {
            JobSubmission earlier = new JobSubmission(spec.input(), spec.inputFormat(), spec.output(),
                    spec.template(), spec.consumerGroup(), spec.clientToken());
            return probeRequest().equals(earlier.probeRequest());
        } catch (ApiException e) {
            return false; // the earlier spec's template is not valid today: it cannot be this submission
        }
    }

    /**
     * The request the template makes for a stand-in record, validated by the contract exactly like the planner's
     * requests: the template plus placeholder routing fields (and, for a manifest, whose lines may bring their own
     * prompt, a placeholder {@code text} when the template has none).
     */
    GenerationRequest probeRequest() {
        for (String field : ROUTING_FIELDS) {
            if (template.has(field)) {
                throw ApiException.badRequest("invalid_template", "template must not set " + field
                        + ": the job sets it for every record");
            }
        }
        if (inputFormat == InputFormat.IMAGES && !template.has("text")) {
            throw ApiException.badRequest("text_required", "an images job needs the prompt in template.text");
        }
        ObjectNode request = template.deepCopy();
        if (!request.has("text")) {
            request.put("text", "placeholder");
        }
        request.put("request_id", "job-validation-0");
        request.put("image_url", "s3://placeholder-bucket/placeholder.png");
        request.put("stream", false);
        request.put("consumer_group", consumerGroup);
        request.put("job_id", "job-validation");
        request.put("record_id", "placeholder.png");
        request.put("created_at", Instant.EPOCH.toString());
        try {
            return ContractCodec.REQUESTS.decode(request);
        } catch (InvalidRecordException e) {
            throw ApiException.badRequest("invalid_template", "template does not make a valid request: "
                    + String.join("; ", e.violations().stream().map(v -> v.replaceFirst("^\\$", "template")).toList()));
        }
    }

    private static InputFormat inputFormat(ObjectNode body, String input) {
        String format = optionalString(body, "input_format", "invalid_input_format");
        if (format == null) {
            return input.toLowerCase(Locale.ROOT).endsWith(".jsonl") ? InputFormat.JSONL : InputFormat.IMAGES;
        }
        return switch (format) {
            case "images" -> InputFormat.IMAGES;
            case "jsonl" -> InputFormat.JSONL;
            default -> throw ApiException.badRequest("invalid_input_format",
                    "input_format must be images or jsonl, got '" + format + "'");
        };
    }

    private static S3Location location(String uri, String field, String code) {
        try {
            return S3Location.parse(uri);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(code, field + " " + e.getMessage());
        }
    }

    private static String requiredString(ObjectNode body, String field, String code) {
        String value = optionalString(body, field, code);
        if (value == null) {
            throw ApiException.badRequest(code, field + " is required: an s3://bucket/… URI");
        }
        return value;
    }

    private static String optionalString(ObjectNode body, String field, String code) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest(code, field + " must be a string, got " + Json.kind(value));
        }
        return value.textValue();
    }
}
