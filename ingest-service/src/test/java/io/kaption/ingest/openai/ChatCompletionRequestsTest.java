package io.kaption.ingest.openai;

import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.ChatMessage.Part;
import io.kaption.schemas.GenerationRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

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

        assertThat(call.draft()).isEqualTo(GenerationRequest.conversation("req-1", List.of(ChatMessage.text("user", "Hi")), null)
                .samplingTemperature(1.0)
                .samplingTopk(Integer.MAX_VALUE)
                .build());
        assertThat(call.model()).isEmpty();
        assertThat(call.images()).isEmpty();
        assertThat(call.stream()).isFalse();
        assertThat(call.includeUsage()).isFalse();
    }

    @Test
    void temperatureZeroOrTopPZeroIsGreedy() {
        assertThat(parse("{\"temperature\":0,\"top_p\":0.5," + HI + "}").draft())
                .isEqualTo(GenerationRequest.conversation("req-1", List.of(ChatMessage.text("user", "Hi")), null).build());
        assertThat(parse("{\"temperature\":0.8,\"top_p\":0," + HI + "}").draft().samplingTopk()).isEqualTo(1);
    }

    @Test
    void samplingParametersAreCarriedOver() {
        GenerationRequest draft = parse("{\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":10,"
                + "\"max_completion_tokens\":20,\"seed\":3," + HI + "}").draft();

        assertThat(draft).isEqualTo(GenerationRequest.conversation("req-1", List.of(ChatMessage.text("user", "Hi")), null)
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
        assertThat(call.images()).containsExactly(new ImageSource.Url("data:image/png;base64,AAAA"));
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
                + "\"frequency_penalty\":0,\"logit_bias\":{},\"user\":\"u\"," + HI + "}").draft().messages())
                .containsExactly(ChatMessage.text("user", "Hi"));
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
        assertThat(parse("{\"model\":\"\"," + HI + "}").model()).isEmpty();
    }

    @Test
    void aConversationIsPassedOnUnflattenedWithItsImagesByIndex() {
        ChatCall call = parse("{\"temperature\":0,\"messages\":["
                + "{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Look: \"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\",\"detail\":\"low\"}},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://a.example/x.png\"}}]},"
                + "{\"role\":\"assistant\",\"content\":\"Two cats.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}},"
                + "{\"type\":\"text\",\"text\":\"This one again?\"}]}]}");

        assertThat(call.draft().text()).isNull();
        assertThat(call.draft().messages()).containsExactly(
                ChatMessage.text("system", "Be brief."),
                new ChatMessage("user", List.of(Part.text("Look: "), Part.image(0), Part.image(1))),
                ChatMessage.text("assistant", "Two cats."),
                new ChatMessage("user", List.of(Part.image(0), Part.text("This one again?"))));
        assertThat(call.images()).containsExactly(new ImageSource.Url("data:image/png;base64,AAAA"),
                new ImageSource.Url("https://a.example/x.png"));
    }

    @Test
    void conversationsThePipelineCannotTakeAreRefused() {
        assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]}",
                "invalid_request", "messages: the last message must be from the user");
        assertRefused("{\"messages\":[]}", "invalid_request", "messages: must be a non-empty array");
        assertRefused("{\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}", "unsupported_parameter",
                "messages[0]: tool and function messages are not supported");
        assertRefused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
                "unsupported_content", "messages[0].content[0]: content parts of type 'input_audio' are not supported "
                        + "(text and image_url are)");
        assertRefused("{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"u\"}}]},{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "invalid_request", "messages[0].content[0]: images are accepted in user messages only");
        assertRefused("{\"messages\":[{\"role\":\"narrator\",\"content\":\"Hi\"}]}", "invalid_request",
                "messages[0].role: must be system, developer, user or assistant");
    }
}
