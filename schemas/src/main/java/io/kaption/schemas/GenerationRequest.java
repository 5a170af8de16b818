package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * Value of {@code kaption.requests.<consumer_group>} (schema {@code kaption.requests/v1.json}): a Takeoff
 * {@code json_data} object plus the image and routing fields. Decoding fills absent fields with the schema's defaults,
 * so every primitive here holds the effective value. Nullable fields are optional and have no default.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationRequest(
        String requestId,
        Texts text,
        String imageUrl,
        boolean stream,
        String consumerGroup,
        double samplingTemperature,
        double samplingTopp,
        int samplingTopk,
        double repetitionPenalty,
        int noRepeatNgramSize,
        int maxNewTokens,
        int minNewTokens,
        Integer promptMaxTokens,
        String regexString,
        ObjectNode jsonSchema,
        boolean useChatTemplate,
        String loraId,
        String outputUri,
        String jobId,
        String recordId,
        Instant createdAt) {

    // The schema's defaults, repeated for Java producers; GenerationRequestTest checks that they agree with the schema.
    public static final boolean DEFAULT_STREAM = false;
    public static final double DEFAULT_SAMPLING_TEMPERATURE = 1.0;
    public static final double DEFAULT_SAMPLING_TOPP = 1.0;
    public static final int DEFAULT_SAMPLING_TOPK = 1;
    public static final double DEFAULT_REPETITION_PENALTY = 1.0;
    public static final int DEFAULT_NO_REPEAT_NGRAM_SIZE = 0;
    public static final int DEFAULT_MAX_NEW_TOKENS = 128;
    public static final int DEFAULT_MIN_NEW_TOKENS = 0;
    public static final boolean DEFAULT_USE_CHAT_TEMPLATE = true;

    public GenerationRequest {
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(consumerGroup, "consumer_group");
    }

    /** True when sampling degenerates to picking the most probable token. */
    @JsonIgnore
    public boolean isGreedy() {
        return samplingTopk == 1;
    }

    /** The topic this request belongs on. */
    public String topic() {
        return Topics.requests(consumerGroup);
    }

    public static Builder builder(String requestId, Texts text, String imageUrl) {
        return new Builder(requestId, text, imageUrl);
    }

    /** A copy of this request to change a few fields of. */
    public Builder toBuilder() {
        return new Builder(requestId, text, imageUrl)
                .stream(stream)
                .consumerGroup(consumerGroup)
                .samplingTemperature(samplingTemperature)
                .samplingTopp(samplingTopp)
                .samplingTopk(samplingTopk)
                .repetitionPenalty(repetitionPenalty)
                .noRepeatNgramSize(noRepeatNgramSize)
                .maxNewTokens(maxNewTokens)
                .minNewTokens(minNewTokens)
                .promptMaxTokens(promptMaxTokens)
                .regexString(regexString)
                .jsonSchema(jsonSchema)
                .useChatTemplate(useChatTemplate)
                .loraId(loraId)
                .outputUri(outputUri)
                .jobId(jobId)
                .recordId(recordId)
                .createdAt(createdAt);
    }

    /** Starts from the schema's defaults. */
    public static final class Builder {
        private final String requestId;
        private final Texts text;
        private final String imageUrl;
        private boolean stream = DEFAULT_STREAM;
        private String consumerGroup = Topics.DEFAULT_CONSUMER_GROUP;
        private double samplingTemperature = DEFAULT_SAMPLING_TEMPERATURE;
        private double samplingTopp = DEFAULT_SAMPLING_TOPP;
        private int samplingTopk = DEFAULT_SAMPLING_TOPK;
        private double repetitionPenalty = DEFAULT_REPETITION_PENALTY;
        private int noRepeatNgramSize = DEFAULT_NO_REPEAT_NGRAM_SIZE;
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private int minNewTokens = DEFAULT_MIN_NEW_TOKENS;
        private Integer promptMaxTokens;
        private String regexString;
        private ObjectNode jsonSchema;
        private boolean useChatTemplate = DEFAULT_USE_CHAT_TEMPLATE;
        private String loraId;
        private String outputUri;
        private String jobId;
        private String recordId;
        private Instant createdAt;

        private Builder(String requestId, Texts text, String imageUrl) {
            this.requestId = requestId;
            this.text = text;
            this.imageUrl = imageUrl;
        }

        public Builder stream(boolean value) { stream = value; return this; }
        public Builder consumerGroup(String value) { consumerGroup = value; return this; }
        public Builder samplingTemperature(double value) { samplingTemperature = value; return this; }
        public Builder samplingTopp(double value) { samplingTopp = value; return this; }
        public Builder samplingTopk(int value) { samplingTopk = value; return this; }
        public Builder repetitionPenalty(double value) { repetitionPenalty = value; return this; }
        public Builder noRepeatNgramSize(int value) { noRepeatNgramSize = value; return this; }
        public Builder maxNewTokens(int value) { maxNewTokens = value; return this; }
        public Builder minNewTokens(int value) { minNewTokens = value; return this; }
        public Builder promptMaxTokens(Integer value) { promptMaxTokens = value; return this; }
        public Builder regexString(String value) { regexString = value; return this; }
        public Builder jsonSchema(ObjectNode value) { jsonSchema = value; return this; }
        public Builder useChatTemplate(boolean value) { useChatTemplate = value; return this; }
        public Builder loraId(String value) { loraId = value; return this; }
        public Builder outputUri(String value) { outputUri = value; return this; }
        public Builder jobId(String value) { jobId = value; return this; }
        public Builder recordId(String value) { recordId = value; return this; }
        public Builder createdAt(Instant value) { createdAt = value; return this; }

        public GenerationRequest build() {
            return new GenerationRequest(requestId, text, imageUrl, stream, consumerGroup, samplingTemperature,
                    samplingTopp, samplingTopk, repetitionPenalty, noRepeatNgramSize, maxNewTokens, minNewTokens,
                    promptMaxTokens, regexString, jsonSchema, useChatTemplate, loraId, outputUri, jobId, recordId,
                    createdAt);
        }
    }
}
