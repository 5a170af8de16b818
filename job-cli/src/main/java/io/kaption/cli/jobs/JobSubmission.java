package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@code kaption job submit} asks for, and its {@code POST /v1/jobs} body. Fields left null are not sent, so the
 * service applies its own defaults (input format from the input's name, consumer group {@code primary}, Takeoff's
 * sampling defaults).
 *
 * @param prompt          the template's {@code text}: a prompt (chat template applied) or a verbatim text; may be null
 *                        when every line of a JSONL manifest carries its own
 * @param sampling        the Takeoff fields given on the command line
 */
public record JobSubmission(
        String input,
        String inputFormat,
        String output,
        Prompt prompt,
        Sampling sampling,
        String consumerGroup,
        String clientToken) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The template's {@code text}; {@code chatTemplate} is Takeoff's {@code use_chat_template}: true wraps the text
     * and image in the model's chat template like a chat message, false sends it verbatim.
     */
    public record Prompt(String text, boolean chatTemplate) {
    }

    /** Takeoff's generation fields; null = not given (the service's default applies). */
    public record Sampling(
            Integer maxNewTokens,
            Integer minNewTokens,
            Double samplingTemperature,
            Double samplingTopp,
            Integer samplingTopk,
            Double repetitionPenalty,
            Integer noRepeatNgramSize,
            Integer promptMaxTokens) {

        public static final Sampling NONE = new Sampling(null, null, null, null, null, null, null, null);
    }

    /** The request body, fields in the order of the job API's description. */
    public ObjectNode toJson() {
        ObjectNode body = JSON.createObjectNode();
        body.put("input", input);
        putIfPresent(body, "input_format", inputFormat);
        body.put("output", output);
        ObjectNode template = body.putObject("template");
        if (prompt != null) {
            template.put("text", prompt.text());
            template.put("use_chat_template", prompt.chatTemplate());
        }
        putIfPresent(template, "max_new_tokens", sampling.maxNewTokens());
        putIfPresent(template, "min_new_tokens", sampling.minNewTokens());
        putIfPresent(template, "sampling_temperature", sampling.samplingTemperature());
        putIfPresent(template, "sampling_topp", sampling.samplingTopp());
        putIfPresent(template, "sampling_topk", sampling.samplingTopk());
        putIfPresent(template, "repetition_penalty", sampling.repetitionPenalty());
        putIfPresent(template, "no_repeat_ngram_size", sampling.noRepeatNgramSize());
        putIfPresent(template, "prompt_max_tokens", sampling.promptMaxTokens());
        putIfPresent(body, "consumer_group", consumerGroup);
        putIfPresent(body, "client_token", clientToken);
        return body;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static void putIfPresent(ObjectNode node, String field, Integer value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static void putIfPresent(ObjectNode node, String field, Double value) {
        if (value != null) {
            node.put(field, value);
        }
    }
}
