package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.ingest.takeoff.TakeoffRequests.Mode;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TakeoffRequestsTest {

    private static final ImageIntakeConfig REMOTE_OFF = ImageIntakeConfig.defaults();
    private static final ImageIntakeConfig REMOTE_ON =
            ImageIntakeConfig.fromEnvironment(Map.of("TAKEOFF_ALLOW_REMOTE_IMAGES", "true"));

    private static ObjectNode json(String text) {
        return Json.parseObject(text.getBytes(StandardCharsets.UTF_8), "test");
    }

    private static TakeoffCall parse(String jsonData, Mode mode) {
        return TakeoffRequests.parse(json(jsonData), Optional.empty(), "req-1", mode, REMOTE_OFF);
    }

    @Test
    void aMinimalRequestGetsTakeoffsDefaults() {
        TakeoffCall call = parse("{\"text\":\"Hi\"}", Mode.BLOCKING);

        assertThat(call.draft()).isEqualTo(GenerationRequest.builder("req-1", Texts.of("Hi"), null).build());
        assertThat(call.images()).isEmpty();
        assertThat(call.returnMetadata()).isFalse();
    }

    @Test
    void everyTakeoffFieldIsCarriedOver() {
        TakeoffCall call = parse("{\"text\":[\"a\",\"b\"],\"sampling_temperature\":0.7,\"sampling_topp\":0.9,"
                + "\"sampling_topk\":40,\"repetition_penalty\":1.2,\"no_repeat_ngram_size\":3,\"max_new_tokens\":64,"
                + "\"min_new_tokens\":2,\"prompt_max_tokens\":512,"
                + "\"json_schema\":{\"type\":\"object\"},\"use_chat_template\":false,\"lora_id\":\"ocr\","
                + "\"consumer_group\":\"batch\",\"return_metadata\":true}", Mode.STREAM);

        assertThat(call.draft()).isEqualTo(GenerationRequest.builder("req-1", Texts.ofList(List.of("a", "b")), null)
                .stream(true)
                .consumerGroup("batch")
                .samplingTemperature(0.7)
                .samplingTopp(0.9)
                .samplingTopk(40)
                .repetitionPenalty(1.2)
                .noRepeatNgramSize(3)
                .maxNewTokens(64)
                .minNewTokens(2)
                .promptMaxTokens(512)
                .jsonSchema(json("{\"type\":\"object\"}"))
                .useChatTemplate(false)
                .loraId("ocr")
                .build());
        assertThat(call.returnMetadata()).isTrue();
        // regex_string and json_schema exclude each other (ConstraintValidationIT): the regex on its own.
        assertThat(parse("{\"text\":\"a\",\"regex_string\":\"[0-9]+\"}", Mode.STREAM).draft().regexString())
                .isEqualTo("[0-9]+");
    }

    @Test
    void imageUrlAndAnUploadBecomeTheImageSource() {
        assertThat(parse("{\"text\":\"Hi\",\"image_url\":\"data:image/png;base64,AAAA\"}", Mode.BLOCKING).images())
                .containsExactly(new ImageSource.Url("data:image/png;base64,AAAA"));

        byte[] upload = {1, 2, 3};
        TakeoffCall call = TakeoffRequests.parse(json("{\"text\":\"Hi\"}"), Optional.of(upload), "req-1",
                Mode.BLOCKING, REMOTE_OFF);
        assertThat(((ImageSource.Upload) call.images().get(0)).bytes()).isEqualTo(upload);
    }

    @Test
    void inlineTagsNeedRemoteImages() {
        assertThatThrownBy(() -> parse("{\"text\":\"<image:https://a.example/x.png> Hi\"}", Mode.BLOCKING))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("remote_images_disabled");
                });
    }

    @Test
    void withRemoteImagesATagIsCutFromEveryPromptAndOneUrlIsOneImage() {
        TakeoffCall call = TakeoffRequests.parse(json("{\"text\":[\"<image:https://a.example/x.png> What?\","
                + "\"Colour? <image:https://a.example/x.png>\"]}"), Optional.empty(), "req-1", Mode.BLOCKING, REMOTE_ON);

        assertThat(call.draft().text()).isEqualTo(Texts.ofList(List.of("What?", "Colour?")));
        assertThat(call.images()).containsExactly(new ImageSource.Url("https://a.example/x.png"));
    }

    @Test
    void tagsAndImageUrlsAddImagesUpToTheLimit() {
        TakeoffCall call = TakeoffRequests.parse(json("{\"text\":\"<image:https://a.example/x.png> Hi\","
                + "\"image_urls\":[\"https://a.example/y.png\",\"s3://bucket/z.png\"]}"), Optional.of(new byte[] {1}),
                "req-1", Mode.BLOCKING, REMOTE_ON);
        assertThat(call.images()).hasSize(4);
        assertThat(call.images().subList(1, 4)).containsExactly(new ImageSource.Url("https://a.example/y.png"),
                new ImageSource.Url("s3://bucket/z.png"), new ImageSource.Url("https://a.example/x.png"));
        assertThat(call.draft().imageUrls()).as("admitted by the ingest before the record carries them").isNull();

        ImageIntakeConfig two = ImageIntakeConfig.fromEnvironment(Map.of("TAKEOFF_ALLOW_REMOTE_IMAGES", "true",
                "KAPTION_MAX_IMAGES_PER_REQUEST", "2"));
        assertThatThrownBy(() -> TakeoffRequests.parse(json("{\"text\":\"<image:https://a.example/x.png> Hi\","
                        + "\"image_urls\":[\"https://a.example/y.png\",\"https://a.example/z.png\"]}"),
                Optional.empty(), "req-1", Mode.BLOCKING, two))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("too_many_images");
                    assertThat(e.getMessage()).startsWith("a request takes at most 2 images; got 3");
                });
    }

    @Test
    void contractViolationsAre422WithEveryViolation() {
        assertThatThrownBy(() -> parse("{\"text\":\"\",\"sampling_topk\":0}", Mode.BLOCKING))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.code()).isEqualTo("invalid_request");
                    assertThat(e.getMessage()).contains("$.sampling_topk: must have a minimum value of 1")
                            .contains("$.text");
                });
    }

    @Test
    void serviceFieldsAreRefusedExceptWhereAllowed() {
        assertThatThrownBy(() -> parse("{\"text\":\"Hi\",\"stream\":true}", Mode.BLOCKING))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("$.stream: cannot be set here"));
        assertThatThrownBy(() -> parse("{\"text\":\"Hi\",\"output_uri\":\"s3://b/k\"}", Mode.ASYNC))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("$.output_uri: cannot be set here"));

        GenerationRequest async = parse("{\"text\":\"Hi\",\"stream\":false,\"job_id\":\"j\",\"record_id\":\"r\"}",
                Mode.ASYNC).draft();
        assertThat(async.stream()).isFalse();
        assertThat(async.jobId()).isEqualTo("j");
        assertThat(async.recordId()).isEqualTo("r");
        assertThat(parse("{\"text\":\"Hi\"}", Mode.ASYNC).draft().stream()).isTrue();
    }

    @Test
    void httpOnlyFieldsMustHaveTheirTypes() {
        assertThatThrownBy(() -> parse("{\"text\":\"Hi\",\"return_metadata\":\"yes\"}", Mode.BLOCKING))
                .hasMessage("$.return_metadata: must be a boolean, got a string");
        assertThatThrownBy(() -> parse("{\"text\":\"Hi\",\"image_url\":3}", Mode.BLOCKING))
                .hasMessage("$.image_url: must be a non-empty string, got a number");
    }
}
