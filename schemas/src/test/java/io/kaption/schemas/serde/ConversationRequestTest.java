package io.kaption.schemas.serde;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.ChatMessage.Part;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code messages} and {@code image_urls} in {@code kaption.requests/v1}: a conversation with several images. */
class ConversationRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CAT = "s3://kaption-inputs/cats/1.jpg";
    private static final String DOG = "data:image/png;base64,iVBORw0KGgo=";

    private static GenerationRequest decode(String json) {
        return ContractCodec.REQUESTS.decode(json.getBytes(UTF_8));
    }

    private static List<String> violations(String json) {
        return ((InvalidRecordException) assertThatThrownBy(() -> decode(json))
                .isInstanceOf(InvalidRecordException.class).actual()).violations();
    }

    @Test
    void aConversationRoundTripsWithItsImages() throws Exception {
        GenerationRequest request = GenerationRequest.conversation("req-1", List.of(
                        ChatMessage.text(ChatMessage.SYSTEM, "Answer briefly."),
                        new ChatMessage(ChatMessage.USER, List.of(Part.image(0), Part.image(1), Part.text("Same?"))),
                        ChatMessage.text(ChatMessage.ASSISTANT, "No."),
                        new ChatMessage(ChatMessage.USER, List.of(Part.text("Why?")))),
                List.of(CAT, DOG)).maxNewTokens(16).build();
        byte[] bytes = ContractCodec.REQUESTS.encode(request);
        assertThat(ContractCodec.REQUESTS.decode(bytes)).isEqualTo(request);

        JsonNode json = JSON.readTree(bytes);
        assertThat(json.has("text")).isFalse();
        assertThat(json.get("image_urls")).hasSize(2);
        assertThat(json.at("/messages/1/content/0").toString()).isEqualTo("{\"type\":\"image\",\"index\":0}");
        assertThat(json.at("/messages/1/content/2").toString()).isEqualTo("{\"type\":\"text\",\"text\":\"Same?\"}");
        assertThat(request.promptCount()).isEqualTo(1);
        assertThat(request.images()).containsExactly(CAT, DOG);
        assertThat(request.answers(List.of("Yes."))).isEqualTo(Texts.of("Yes."));
        assertThat(request.messages().get(1).imageIndexes()).containsExactly(0, 1);
    }

    @Test
    void aStringContentIsOneTextPart() {
        GenerationRequest request = decode("{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(request.messages()).containsExactly(ChatMessage.text("user", "Hi"));
        assertThat(request.text()).isNull();
        assertThat(request.images()).isEmpty();
    }

    @Test
    void textWithSeveralImages() {
        GenerationRequest request = decode("{\"request_id\":\"r\",\"text\":\"Compare them.\",\"image_urls\":[\""
                + CAT + "\",\"" + DOG + "\"]}");
        assertThat(request.images()).containsExactly(CAT, DOG);
        assertThat(request.promptCount()).isEqualTo(1);
    }

    @Test
    void exactlyOneOfTextAndMessages() {
        assertThat(violations("{\"request_id\":\"r\"}"))
                .containsExactly("$: required property 'messages' not found", "$: required property 'text' not found");
        assertThat(violations("{\"request_id\":\"r\",\"text\":\"Hi\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi\"}]}")).containsExactly(
                        "$: text and messages do not go together (a conversation's text is in its messages)");
    }

    @Test
    void imageUrlAndImageUrlsDoNotGoTogether() {
        assertThat(violations("{\"request_id\":\"r\",\"text\":\"Hi\",\"image_url\":\"" + CAT + "\",\"image_urls\":[\""
                + DOG + "\"]}")).containsExactly(
                        "$: image_url and image_urls do not go together (put every image in image_urls)");
    }

    @Test
    void everyImageOfImageUrlsFollowsTheImageUrlRules() {
        assertThat(violations("{\"request_id\":\"r\",\"text\":\"Hi\",\"image_urls\":[\"" + CAT
                + "\",\"file:///etc/passwd\"]}"))
                .containsExactly("$.image_urls[1]: must be s3://bucket/key, https://... or "
                        + "data:image/<type>;base64,<data>");
    }

    @Test
    void badMessagesAreRefusedWithTheirPath() {
        assertThat(violations("{\"request_id\":\"r\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"))
                .anySatisfy(v -> assertThat(v).startsWith("$.messages[0].role:"));
        assertThat(violations("{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image\"}]}]}"))
                .anySatisfy(v -> assertThat(v).startsWith("$.messages[0].content[0]:").contains("index"));
        assertThat(violations("{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"a\",\"index\":0}]}]}"))
                .anySatisfy(v -> assertThat(v).startsWith("$.messages[0].content[0]"));
        assertThat(violations("{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + CAT + "\"}}]}]}"))
                .anySatisfy(v -> assertThat(v).startsWith("$.messages[0].content[0].type:"));
        assertThat(violations("{\"request_id\":\"r\",\"messages\":[]}"))
                .anySatisfy(v -> assertThat(v).startsWith("$.messages:"));
    }

    @Test
    void imageProblemsBeyondTheSchema() {
        GenerationRequest twoImages = decode("{\"request_id\":\"r\",\"text\":\"Hi\",\"image_urls\":[\"" + CAT
                + "\",\"" + DOG + "\"]}");
        assertThat(twoImages.imageProblem(2)).isEmpty();
        assertThat(twoImages.imageProblem(1)).contains("the request has 2 images; at most 1 are allowed");

        String messages = "{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image\",\"index\":%d},{\"type\":\"text\",\"text\":\"Hi\"}]}],\"image_urls\":[%s]}";
        assertThat(decode(messages.formatted(0, "\"" + CAT + "\"")).imageProblem(8)).isEmpty();
        assertThat(decode(messages.formatted(1, "\"" + CAT + "\"")).imageProblem(8))
                .contains("messages[0] shows image 1 but image_urls has 1 image");
        assertThat(decode(messages.formatted(0, "\"" + CAT + "\",\"" + DOG + "\"")).imageProblem(8))
                .contains("image_urls[1] is not shown by any message");
        assertThat(decode(messages.formatted(0, "\"" + CAT + "\"").replace(",\"image_urls\":[\"" + CAT + "\"]", ""))
                .imageProblem(8)).contains("messages[0] shows image 0 but image_urls has 0 images");
    }
}
