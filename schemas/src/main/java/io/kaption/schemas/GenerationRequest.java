package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Value of {@code kaption.requests.<consumer_group>} (schema {@code kaption.requests/v1.json}): a Takeoff
 * {@code json_data} object plus the image and routing fields, or a conversation ({@code messages}) with its images
 * ({@code image_urls}) instead of {@code text}. Decoding fills absent fields with the schema's defaults, so every
 * primitive here holds the effective value. Nullable fields are optional and have no default.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationRequest(
        String requestId,
        Texts text,
        List<ChatMessage> messages,
        String imageUrl,
        List<String> imageUrls,
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
        if ((text == null) == (messages == null)) {
            throw new IllegalArgumentException("a request has exactly one of text and messages");
        }
        if (imageUrl != null && imageUrls != null) {
            throw new IllegalArgumentException("image_url and image_urls do not go together");
        }
        messages = messages == null ? null : List.copyOf(messages);
        imageUrls = imageUrls == null ? null : List.copyOf(imageUrls);
        Objects.requireNonNull(consumerGroup, "consumer_group");
    }

    /** True when sampling degenerates to picking the most probable token. */
    @JsonIgnore
    public boolean isGreedy() {
        return samplingTopk == 1;
    }

    /** How many prompts the request holds, each answered on its own: the size of {@code text}, 1 for messages. */
    @JsonIgnore
    public int promptCount() {
        return text == null ? 1 : text.size();
    }

    /** Every image of the request in order: {@code image_urls}, or {@code image_url} alone, or none. */
    @JsonIgnore
    public List<String> images() {
        return imageUrls != null ? imageUrls : imageUrl != null ? List.of(imageUrl) : List.of();
    }

    /**
     * What makes the request's images unusable beyond the schema, or empty: more than {@code maxImages} images, an
     * image part whose index is not in {@code image_urls}, an image of {@code image_urls} that no part shows.
     */
    public Optional<String> imageProblem(int maxImages) {
        int count = images().size();
        if (count > maxImages) {
            return Optional.of("the request has " + count + " images; at most " + maxImages + " are allowed");
        }
        if (messages == null) {
            return Optional.empty();
        }
        boolean[] shown = new boolean[count];
        for (int m = 0; m < messages.size(); m++) {
            for (int index : messages.get(m).imageIndexes()) {
                if (index >= count) {
                    return Optional.of("messages[" + m + "] shows image " + index + " but image_urls has "
                            + count + (count == 1 ? " image" : " images"));
                }
                shown[index] = true;
            }
        }
        for (int i = 0; i < count; i++) {
            if (!shown[i]) {
                return Optional.of("image_urls[" + i + "] is not shown by any message");
            }
        }
        return Optional.empty();
    }

    /** The result's {@code text} for these answers (one per prompt): shaped like {@code text}, one string for messages. */
    public Texts answers(List<String> generations) {
        return text != null ? text.withValues(generations) : Texts.of(generations.get(0));
    }

    /** The topic this request belongs on. */
    public String topic() {
        return Topics.requests(consumerGroup);
    }

    public static Builder builder(String requestId, Texts text, String imageUrl) {
        return new Builder(requestId).text(text).imageUrl(imageUrl);
    }

    /** A conversation: {@code messages}, whose image parts index {@code imageUrls} (null or empty for none). */
    public static Builder conversation(String requestId, List<ChatMessage> messages, List<String> imageUrls) {
        return new Builder(requestId).messages(messages)
                .imageUrls(imageUrls == null || imageUrls.isEmpty() ? null : imageUrls);
    }

    /** A copy of this request to change a few fields of. */
    public Builder toBuilder() {
        return new Builder(requestId)
                .text(text)
                .messages(messages)
                .imageUrl(imageUrl)
                .imageUrls(imageUrls)
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
        private Texts text;
        private List<ChatMessage> messages;
        private String imageUrl;
        private List<String> imageUrls;
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

        private Builder(String requestId) {
            this.requestId = requestId;
        }

        public Builder text(Texts value) { text = value; return this; }
        public Builder messages(List<ChatMessage> value) { messages = value; return this; }
        public Builder imageUrl(String value) { imageUrl = value; return this; }
        public Builder imageUrls(List<String> value) { imageUrls = value; return this; }

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
            return new GenerationRequest(requestId, text, messages, imageUrl, imageUrls, stream, consumerGroup,
                    samplingTemperature, samplingTopp, samplingTopk, repetitionPenalty, noRepeatNgramSize,
                    maxNewTokens, minNewTokens, promptMaxTokens, regexString, jsonSchema, useChatTemplate, loraId,
                    outputUri, jobId, recordId, createdAt);
        }
    }
}
