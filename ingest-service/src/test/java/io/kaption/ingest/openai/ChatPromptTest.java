package io.kaption.ingest.openai;

import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatPromptTest {

    private static ChatPrompt render(String messages) {
        return ChatPrompt.render(Json.parseObject(("{\"m\":" + messages + "}").getBytes(StandardCharsets.UTF_8), "t")
                .get("m"));
    }

    @Test
    void oneUserMessageIsThePrompt() {
        assertThat(render("[{\"role\":\"user\",\"content\":\"  What is this?  \"}]"))
                .isEqualTo(new ChatPrompt("What is this?", List.of()));
    }

    @Test
    void textPartsAreJoinedAndImagePartsCollected() {
        assertThat(render("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Look.\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\",\"detail\":\"low\"}},"
                + "{\"type\":\"text\",\"text\":\"What is it?\"}]}]"))
                .isEqualTo(new ChatPrompt("Look.\nWhat is it?", List.of("data:image/png;base64,AAAA")));
    }

    @Test
    void aConversationKeepsSystemTextTurnsAndTheLastQuestion() {
        assertThat(render("[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://a.example/x.png\"}},"
                + "{\"type\":\"text\",\"text\":\"What animal?\"}]},"
                + "{\"role\":\"assistant\",\"content\":\"A cat.\"},"
                + "{\"role\":\"system\",\"content\":\"Use lower case.\"},"
                + "{\"role\":\"user\",\"content\":\"Its colour?\"}]"))
                .isEqualTo(new ChatPrompt("Be brief.\n\nUse lower case.\n\nUser: What animal?\nAssistant: A cat.\n\n"
                        + "Its colour?", List.of("https://a.example/x.png")));
    }

    @Test
    void theSameImageTwiceIsOneImage() {
        assertThat(render("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}},"
                + "{\"type\":\"text\",\"text\":\"A\"}]},{\"role\":\"assistant\",\"content\":null},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}},"
                + "{\"type\":\"text\",\"text\":\"B\"}]}]").imageUrls()).containsExactly("u");
    }

    @Test
    void theLastMessageMustBeTheUsers() {
        assertThatThrownBy(() -> render("[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]"))
                .isInstanceOf(ApiException.class).hasMessage("messages: the last message must be from the user");
        assertThatThrownBy(() -> render("[]")).hasMessage("messages: must be a non-empty array");
        assertThatThrownBy(() -> render("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}]"))
                .hasMessage("messages: the last user message needs text");
    }

    @Test
    void whatThePipelineCannotDoIsRefused() {
        assertThatThrownBy(() -> render("[{\"role\":\"tool\",\"content\":\"42\"}]"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("unsupported_parameter"));
        assertThatThrownBy(() -> render("[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("unsupported_content"));
        assertThatThrownBy(() -> render("[{\"role\":\"assistant\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"u\"}}]},{\"role\":\"user\",\"content\":\"Hi\"}]"))
                .hasMessage("messages[0].content[0]: images are accepted in user messages only");
        assertThatThrownBy(() -> render("[{\"role\":\"narrator\",\"content\":\"Hi\"}]"))
                .hasMessage("messages[0].role: must be system, developer, user or assistant");
    }
}
