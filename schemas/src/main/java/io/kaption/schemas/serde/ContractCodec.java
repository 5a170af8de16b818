package io.kaption.schemas.serde;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.WorkerAnnouncement;
import io.kaption.schemas.jobs.JobOutputs;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns one topic's values into bytes and back, enforcing the topic's JSON Schema both ways: nothing invalid is
 * produced, and everything consumed has been validated (absent fields filled with the schema's defaults). Reads plain
 * JSON and JSON behind a Confluent Schema Registry frame alike. Thread-safe; each schema is compiled once.
 */
public final class ContractCodec<T> {

    private static final String SCHEMA_ID_PREFIX = "https://kaption.io/schemas/";
    private static final String SCHEMA_RESOURCE_PREFIX = "io/kaption/schemas/";

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    // Parse errors quote at most a short token: never image data into logs and DLQ headers.
                    .errorReportConfiguration(ErrorReportConfiguration.builder()
                            .maxErrorTokenLength(32)
                            .maxRawContentLength(0)
                            .build())
                    .build())
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            // The schema decides which unknown fields are acceptable (tokens and results allow them).
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // Two values for one field in a hand-written record is a mistake, not a choice of the last one.
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    // Schema ids are mapped onto the classpath so that no schema is ever fetched over the network.
    private static final JsonSchemaFactory SCHEMA_FACTORY = JsonSchemaFactory.getInstance(
            SpecVersion.VersionFlag.V202012,
            builder -> builder.schemaMappers(mappers ->
                    mappers.mapPrefix(SCHEMA_ID_PREFIX, "classpath:" + SCHEMA_RESOURCE_PREFIX)));

    private static final SchemaValidatorsConfig VALIDATORS_CONFIG = SchemaValidatorsConfig.builder()
            .locale(Locale.ENGLISH)
            .pathType(PathType.JSON_PATH)
            .formatAssertionsEnabled(true)
            .errorMessageKeyword("errorMessage")
            .build();

    public static final ContractCodec<GenerationRequest> REQUESTS =
            new ContractCodec<>("kaption.requests", 1, GenerationRequest.class);
    public static final ContractCodec<TokenEvent> TOKENS = new ContractCodec<>("kaption.tokens", 1, TokenEvent.class);
    public static final ContractCodec<GenerationResult> RESULTS =
            new ContractCodec<>("kaption.results", 1, GenerationResult.class);
    public static final ContractCodec<Cancellation> CANCELLATIONS =
            new ContractCodec<>("kaption.cancellations", 1, Cancellation.class);
    public static final ContractCodec<JobSpec> JOBS = new ContractCodec<>("kaption.jobs", 1, JobSpec.class);
    public static final ContractCodec<JobPlan> JOB_PLANS = new ContractCodec<>("kaption.job-plans", 1, JobPlan.class);
    public static final ContractCodec<JobRecord> JOB_RECORDS =
            new ContractCodec<>("kaption.job-records", 1, JobRecord.class);
    public static final ContractCodec<JobOutputs> JOB_OUTPUTS =
            new ContractCodec<>("kaption.job-outputs", 1, JobOutputs.class);
    public static final ContractCodec<JobStatus> JOB_STATUS =
            new ContractCodec<>("kaption.job-status", 1, JobStatus.class);
    public static final ContractCodec<WorkerAnnouncement> WORKERS =
            new ContractCodec<>("kaption.workers", 1, WorkerAnnouncement.class);

    private final String name;
    private final String schemaId;
    private final String schemaResource;
    private final Class<T> type;
    private final JsonSchema schema;
    private final Map<String, JsonNode> defaults;

    private ContractCodec(String topicFamily, int version, Class<T> type) {
        String path = topicFamily + "/v" + version;
        this.name = path;
        this.schemaId = SCHEMA_ID_PREFIX + path + ".json";
        this.schemaResource = SCHEMA_RESOURCE_PREFIX + path + ".json";
        this.type = type;
        this.schema = SCHEMA_FACTORY.getSchema(SchemaLocation.of(schemaId), VALIDATORS_CONFIG);
        schema.initializeValidators(); // compile now, not on the first record
        this.defaults = SchemaDefaults.topLevel(schema.getSchemaNode(), path);
    }

    /** E.g. {@code kaption.requests/v1}. */
    public String name() {
        return name;
    }

    /** The schema's {@code $id}. */
    public String schemaId() {
        return schemaId;
    }

    /** Classpath location of the schema file, e.g. {@code io/kaption/schemas/kaption.requests/v1.json}. */
    public String schemaResource() {
        return schemaResource;
    }

    public Class<T> type() {
        return type;
    }

    /** The value as JSON bytes, after checking it against the schema. */
    public byte[] encode(T value) {
        try {
            return MAPPER.writeValueAsBytes(toValidatedTree(value));
        } catch (JsonProcessingException e) {
            throw new InvalidRecordException(name, List.of("$: cannot be written as JSON: " + e.getOriginalMessage()), e);
        }
    }

    /** The value as a JSON tree, after checking it against the schema. */
    public JsonNode toValidatedTree(T value) {
        if (value == null) {
            throw invalid("$: the value is null; a " + name + " value is a JSON object");
        }
        JsonNode tree = MAPPER.valueToTree(value);
        List<String> violations = new ArrayList<>(violations(tree));
        // JSON has no NaN or Infinity: Jackson would write them as strings, which no reader accepts as numbers.
        addNonFiniteNumbers(tree, "$", violations);
        if (!violations.isEmpty()) {
            throw new InvalidRecordException(name, violations, null);
        }
        return tree;
    }

    private static void addNonFiniteNumbers(JsonNode node, String path, List<String> violations) {
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            violations.add(path + ": must be a finite number, got " + node.doubleValue());
        } else if (node.isObject()) {
            node.properties().forEach(field ->
                    addNonFiniteNumbers(field.getValue(), path + "." + field.getKey(), violations));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                addNonFiniteNumbers(node.get(i), path + "[" + i + "]", violations);
            }
        }
    }

    /**
     * The value in {@code bytes}: plain JSON, or JSON behind a Confluent frame (whose schema id is not consulted:
     * the value is checked against this codec's schema).
     *
     * @throws InvalidRecordException naming every violated rule
     */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            throw invalid("$: the value is null (a tombstone); a " + name + " value is a JSON object");
        }
        int offset = 0;
        if (ConfluentFrame.isFramed(bytes)) {
            if (bytes.length <= ConfluentFrame.HEADER_LENGTH) {
                throw invalid("$: the value starts with byte 0 (a Confluent Schema Registry frame) but has no JSON "
                        + "after the 5-byte header (" + bytes.length + " bytes in all)");
            }
            offset = ConfluentFrame.HEADER_LENGTH;
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(bytes, offset, bytes.length - offset);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InvalidRecordException(name, List.of("$: not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")), e);
        } catch (IOException e) {
            throw new InvalidRecordException(name, List.of("$: unreadable: " + e.getMessage()), e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw invalid("$: the value is empty; a " + name + " value is a JSON object");
        }
        return decode(tree);
    }

    /**
     * The value in {@code tree}, after checking it against the schema. Fills absent fields of {@code tree} with
     * the schema's defaults, in place.
     */
    public T decode(JsonNode tree) {
        if (tree instanceof ObjectNode object) {
            // The schemas give defaults to top-level properties only (SchemaDefaults checks): filled in here rather
            // than by the validator's walk, which went through the whole schema and cost as much CPU as validating
            // (docs/PERFORMANCE.md).
            defaults.forEach((property, value) -> {
                if (!object.has(property)) {
                    object.set(property, value.deepCopy());
                }
            });
        }
        List<String> violations = violations(tree);
        if (!violations.isEmpty()) {
            throw new InvalidRecordException(name, violations, null);
        }
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            // The schema admits something the Java type cannot hold (e.g. an integer beyond 32 bits).
            String path = e.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("", "$", ""));
            throw new InvalidRecordException(name, List.of(path + ": " + e.getOriginalMessage()), e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new InvalidRecordException(name, List.of("$: " + e.getMessage()), e);
        }
    }

    /** Like {@link #decode(byte[])}, but a rejected value is returned rather than thrown. */
    public DecodeResult<T> tryDecode(byte[] bytes) {
        try {
            return new DecodeResult.Valid<>(decode(bytes));
        } catch (InvalidRecordException e) {
            return new DecodeResult.Invalid<>(e);
        }
    }

    private List<String> violations(JsonNode tree) {
        return schema.validate(tree).stream()
                .map(ContractCodec::describe)
                .sorted()
                .distinct()
                .toList();
    }

    // "<location>: <rule>"; the schema's own errorMessage texts come without the location.
    private static String describe(ValidationMessage message) {
        String location = message.getInstanceLocation().toString();
        String text = message.getMessage();
        return text.startsWith(location + ": ") ? text : location + ": " + text;
    }

    private InvalidRecordException invalid(String violation) {
        return new InvalidRecordException(name, List.of(violation), null);
    }

    @Override
    public String toString() {
        return "ContractCodec[" + name + "]";
    }
}
