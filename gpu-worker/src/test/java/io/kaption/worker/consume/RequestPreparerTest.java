package io.kaption.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.images.ImageIntake;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.engine.prompt.Conversation;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.ChatMessage.Part;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Texts;
import io.kaption.worker.images.ImageLoader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Takeoff fields to engine requests, without Kafka or S3 (data: URLs need neither). */
class RequestPreparerTest {

    private final ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults());
    private final RequestPreparer preparer = new RequestPreparer(new ImageLoader(intake, null), null);

    @AfterEach
    void close() throws IOException {
        intake.close();
    }

    private static AcceptedRequest accepted(GenerationRequest request) {
        return new AcceptedRequest(request, Lane.INTERACTIVE, "t-0@0", 0, Instant.EPOCH, 0, () -> {});
    }

    private static String pngDataUrl() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", out);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    @Test
    void everyTextOfAListBecomesAnEngineRequestWithTheSameImageAndParameters() throws IOException {
        GenerationRequest request = GenerationRequest.builder("req-1", Texts.ofList(List.of("What?", "Colour?")),
                        pngDataUrl())
                .samplingTemperature(0.7).samplingTopk(40).samplingTopp(0.9).repetitionPenalty(1.2)
                .noRepeatNgramSize(3).maxNewTokens(64).minNewTokens(2).promptMaxTokens(500).useChatTemplate(false)
                .build();
        ReadyRequest ready = preparer.prepare(accepted(request));

        assertThat(ready.failure()).isNull();
        assertThat(ready.rows()).isEqualTo(2);
        assertThat(ready.prompts()).extracting(p -> p.text()).containsExactly("What?", "Colour?");
        assertThat(ready.prompts()).allSatisfy(p -> {
            assertThat(p.useChatTemplate()).isFalse();
            assertThat(p.images()).singleElement()
                    .satisfies(image -> assertThat(image).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G'));
        });
        SamplingParams first = ready.prompts().get(0).params();
        assertThat(first).isEqualTo(new SamplingParams(0.7, 40, 0.9, 1.2, 3, 64, 2, 500, first.seed()));
        assertThat(ready.prompts().get(1).params().seed()).as("each prompt samples its own stream")
                .isNotEqualTo(first.seed());
        assertThat(preparer.prepare(accepted(request)).prompts().get(0).params().seed())
                .as("a redelivered request samples the same").isEqualTo(first.seed());
    }

    private static String pngDataUrl(int side) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB), "png", out);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    @Test
    void aConversationBecomesOneEngineConversationWithItsImagesInPartOrder() throws IOException {
        String small = pngDataUrl(4);
        String large = pngDataUrl(9);
        GenerationRequest request = GenerationRequest.conversation("req-c", List.of(
                ChatMessage.text("system", "Be brief."),
                new ChatMessage("user", List.of(Part.text("Compare"), Part.image(1), Part.image(0))),
                ChatMessage.text("assistant", "They differ."),
                new ChatMessage("user", List.of(Part.image(1), Part.text("And this one again?")))),
                List.of(small, large)).maxNewTokens(5).build();

        ReadyRequest ready = preparer.prepare(accepted(request));

        assertThat(ready.failure()).isNull();
        assertThat(ready.prompts()).singleElement().satisfies(p -> {
            assertThat(p.text()).isNull();
            assertThat(p.conversation().messages()).extracting(Conversation.Message::role)
                    .containsExactly("system", "user", "assistant", "user");
            assertThat(p.conversation().messages().get(1).parts()).containsExactly(
                    Conversation.Part.text("Compare"), Conversation.Part.IMAGE, Conversation.Part.IMAGE);
            assertThat(p.images()).as("image of each image part, in order").hasSize(3);
            assertThat(p.images().get(0)).isEqualTo(p.images().get(2));
            assertThat(p.images().get(0)).isNotEqualTo(p.images().get(1));
            assertThat(p.params().maxNewTokens()).isEqualTo(5);
        });
    }

    @Test
    void tooManyImagesOrAnUnknownImageIndexIsAnInvalidRequest() throws IOException {
        String png = pngDataUrl(4);
        GenerationRequest nine = GenerationRequest.builder("req-9", Texts.of("Compare."), null)
                .imageUrls(java.util.Collections.nCopies(9, png)).build();
        assertThat(preparer.prepare(accepted(nine)).failure()).isEqualTo(new Failure("invalid_request",
                "the request has 9 images; at most 8 are allowed"));

        GenerationRequest dangling = GenerationRequest.conversation("req-d", List.of(
                new ChatMessage("user", List.of(Part.image(1), Part.text("Hi")))), List.of(png)).build();
        assertThat(preparer.prepare(accepted(dangling)).failure()).isEqualTo(new Failure("invalid_request",
                "messages[0] shows image 1 but image_urls has 1 image"));

        GenerationRequest verbatim = GenerationRequest.conversation("req-v",
                List.of(ChatMessage.text("user", "Hi")), null).useChatTemplate(false).build();
        assertThat(preparer.prepare(accepted(verbatim)).failure().code()).isEqualTo("invalid_request");
    }

    @Test
    void takeoffDefaultsAreGreedyAndWithoutImageTheRequestIsTextOnly() {
        ReadyRequest ready = preparer.prepare(accepted(GenerationRequest.builder("req-2", Texts.of("Hi"), null).build()));
        assertThat(ready.prompts()).singleElement().satisfies(p -> {
            assertThat(p.images()).isEmpty();
            assertThat(p.useChatTemplate()).isTrue();
            assertThat(p.params().isGreedy()).isTrue();
            assertThat(p.params().maxNewTokens()).isEqualTo(128);
            assertThat(p.params().promptMaxTokens()).isZero();
        });
    }

    @Test
    void constraintsAreCompiledForEveryPromptAndBadOnesAreAnInvalidRequest() {
        GenerationRequest base = GenerationRequest.builder("req-3", Texts.ofList(List.of("Hi", "Ho")), null).build();
        ReadyRequest regex = preparer.prepare(accepted(base.toBuilder().regexString("[0-9]+").build()));
        assertThat(regex.prompts()).hasSize(2).allSatisfy(p -> assertThat(p.constraint().regex()).isEqualTo("[0-9]+"));
        ReadyRequest schema = preparer.prepare(accepted(base.toBuilder()
                .jsonSchema(JsonNodeFactory.instance.objectNode().put("type", "boolean")).build()));
        assertThat(schema.prompts().get(0).constraint().dfa().matches("true")).isTrue();
        assertThat(preparer.prepare(accepted(base)).prompts().get(0).constraint()).isNull();

        assertThat(preparer.prepare(accepted(base.toBuilder().regexString("(?<=a)b").build())).failure())
                .extracting(Failure::code, f -> f.message().startsWith("regex_string: unsupported regular expression"))
                .containsExactly("invalid_request", true);
        assertThat(preparer.prepare(accepted(base.toBuilder()
                .jsonSchema(JsonNodeFactory.instance.objectNode().put("type", "integer").put("minimum", 0)).build()))
                .failure().message()).startsWith("json_schema $: keyword 'minimum' is not supported");
        assertThat(preparer.prepare(accepted(base.toBuilder().loraId("adapter-1").build())).failure().message())
                .isEqualTo("unknown LoRA adapter 'adapter-1': this worker serves no LoRA adapters (KAPTION_LORA_DIR is not set)");
    }

    @Test
    void inconsistentSamplingFieldsAreAnInvalidRequest() {
        GenerationRequest request = GenerationRequest.builder("req-4", Texts.of("Hi"), null).maxNewTokens(4)
                .minNewTokens(10).build();
        assertThat(preparer.prepare(accepted(request)).failure())
                .isEqualTo(new Failure("invalid_request", "min_new_tokens must be in [0, max_new_tokens]"));
    }

    @Test
    void imageRefusalsCarryTheirCodeAndNeverTheBytes() {
        GenerationRequest notAnImage = GenerationRequest.builder("req-5", Texts.of("Hi"),
                "data:image/png;base64," + Base64.getEncoder().encodeToString("secret text".getBytes())).build();
        Failure failure = preparer.prepare(accepted(notAnImage)).failure();
        assertThat(failure.code()).isEqualTo("invalid_image");
        assertThat(failure.message()).startsWith("not_an_image: ").doesNotContain("secret");

        GenerationRequest remote = GenerationRequest.builder("req-6", Texts.of("Hi"), "https://images.example.com/a.png")
                .build();
        assertThat(preparer.prepare(accepted(remote)).failure())
                .extracting(Failure::code, f -> f.message().startsWith("remote_images_disabled: "))
                .containsExactly("image_unavailable", true);
    }

    @Test
    void anErrorWhileLoadingTheImageStillAnswersTheRequest() {
        // An Error (here: memory running out on a huge image) used to escape prepare() and kill the pool task
        // silently: the request got no result, its offset blocked every later commit of the partition, and the
        // hand-off kept counting it, so a few of them paused the consumers for good.
        S3Client outOfMemory = new S3Client() {
            @Override
            public ResponseInputStream<GetObjectResponse> getObject(GetObjectRequest request) {
                throw new OutOfMemoryError("Java heap space");
            }

            @Override
            public String serviceName() {
                return "s3";
            }

            @Override
            public void close() {}
        };
        RequestPreparer failing = new RequestPreparer(new ImageLoader(intake, outOfMemory), null);
        GenerationRequest request = GenerationRequest.builder("req-7", Texts.of("Hi"), "s3://bucket-1/huge.png")
                .build();

        ReadyRequest ready = failing.prepare(accepted(request));

        assertThat(ready.prompts()).isEmpty();
        assertThat(ready.failure()).isEqualTo(new Failure("inference_failed",
                "the worker could not prepare the request: java.lang.OutOfMemoryError: Java heap space"));
    }
}
