package io.kaption.ingest.openai;

import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatCompletionRequestsTest {

    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    private static ChatCall parse(String body) {
        return ChatCompletionRequests.parse(Json.parseObject(body.getBytes(StandardCharsets.UTF_8), "t"), "req-1");
    }

    private static void assertRefused(String body, String code, String message) {
        assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void withoutSamplingParametersItSamplesLikeOpenAiAtTemperatureOne() {
        ChatCall call = parse("{" + HI + "}");

        assertThat(call.draft()).isEqualTo(GenerationRequest.builder("req-1", Texts.of("Hi"), null)
                .samplingTemperature(1.0)
                .samplingTopk(Integer.MAX_VALUE)
                .build());
        assertThat(call.model()).isEmpty();
        assertThat(call.image()).isEmpty();
        assertThat(call.stream()).isFalse();
        assertThat(call.includeUsage()).isFalse();
    }

    @Test
    void temperatureZeroOrTopPZeroIsGreedy() {
        assertThat(parse("{\"temperature\":0,\"top_p\":0.5," + HI + "}").draft())
                .isEqualTo(GenerationRequest.builder("req-1", Texts.of("Hi"), null).build());
        assertThat(parse("{\"temperature\":0.8,\"top_p\":0," + HI + "}").draft().samplingTopk()).isEqualTo(1);
    }

    @Test
    void samplingParametersAreCarriedOver() {
        GenerationRequest draft = parse("{\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":10,"
                + "\"max_completion_tokens\":20,\"seed\":3," + HI + "}").draft();

        assertThat(draft).isEqualTo(GenerationRequest.builder("req-1", Texts.of("Hi"), null)
                .samplingTemperature(0.7)
                .samplingTopp(0.9)
                .samplingTopk(Integer.MAX_VALUE)
                .maxNewTokens(20)
                .build());
        assertThat(parse("{\"max_tokens\":10," + HI + "}").draft().maxNewTokens()).isEqualTo(10);
    }

    @Test
    void streamModelImageAndUsageOptionAreRead() {
        ChatCall call = parse("{\"model\":\"batch\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]}");

        assertThat(call.model()).contains("batch");
        assertThat(call.stream()).isTrue();
        assertThat(call.draft().stream()).isTrue();
        assertThat(call.includeUsage()).isTrue();
        assertThat(call.image()).contains(new ImageSource.Url("data:image/png;base64,AAAA"));
        assertThat(parse("{\"stream_options\":{\"include_usage\":true}," + HI + "}").includeUsage()).isFalse();
    }

    @Test
    void responseFormatBecomesTheOutputSchema() {
        assertThat(parse("{\"response_format\":{\"type\":\"json_object\"}," + HI + "}").draft().jsonSchema())
                .isEqualTo(Json.parseObject("{\"type\":\"object\"}".getBytes(StandardCharsets.UTF_8), "t"));
        assertThat(parse("{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
                + "\"schema\":{\"type\":\"array\"}}}," + HI + "}").draft().jsonSchema())
                .isEqualTo(Json.parseObject("{\"type\":\"array\"}".getBytes(StandardCharsets.UTF_8), "t"));
        assertThat(parse("{\"response_format\":{\"type\":\"text\"}," + HI + "}").draft().jsonSchema()).isNull();
        assertRefused("{\"response_format\":{\"type\":\"yaml\"}," + HI + "}", "invalid_request",
                "response_format.type: must be text, json_object or json_schema");
    }

    @Test
    void defaultValuesOfUnsupportedFeaturesAreAccepted() {
        assertThat(parse("{\"n\":1,\"stop\":null,\"tools\":[],\"logprobs\":false,\"presence_penalty\":0,"
                + "\"frequency_penalty\":0,\"logit_bias\":{},\"user\":\"u\"," + HI + "}").draft().text())
                .isEqualTo(Texts.of("Hi"));
    }

    @Test
    void unsupportedFeaturesAreRefused() {
        assertRefused("{\"n\":2," + HI + "}", "unsupported_parameter", "n: only one choice per request is supported");
        assertRefused("{\"stop\":\"\\n\"," + HI + "}", "unsupported_parameter", "stop: stop sequences are not supported");
        assertRefused("{\"tools\":[{\"type\":\"function\"}]," + HI + "}", "unsupported_parameter",
                "tools: tool and function calling are not supported");
        assertRefused("{\"logprobs\":true," + HI + "}", "unsupported_parameter",
                "logprobs: log probabilities are not supported");
        assertRefused("{\"presence_penalty\":0.5," + HI + "}", "unsupported_parameter",
                "presence_penalty: not supported (Takeoff's repetition_penalty is not the same thing)");
    }

    @Test
    void malformedValuesAreRefused() {
        assertRefused("{\"temperature\":3," + HI + "}", "invalid_request", "temperature: must be a number from 0 to 2");
        assertRefused("{\"max_tokens\":0," + HI + "}", "invalid_request", "max_tokens: must be a whole number of at least 1");
        assertRefused("{\"stream\":\"yes\"," + HI + "}", "invalid_request", "stream: must be a boolean, got a string");
        assertRefused("{\"model\":7," + HI + "}", "invalid_request", "model: must be a string, got a number");
        assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"A\"},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"u1\"}},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"u2\"}}]}]}",
                "too_many_images", "a request takes one image; the messages hold 2");
        assertThat(parse("{\"model\":\"\"," + HI + "}").model()).isEmpty();
    }
}
