package io.kaption.engine.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.LlavaFixture;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Templates rendered by Jinjava against transformers' own rendering (src/test/resources/prompt/make_expected.py). */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> SPECIAL = Map.of(
            "bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>", "pad_token", "<pad>");

    @ParameterizedTest
    @ValueSource(strings = {"llava15_hf.jinja", "mistral_style.jinja", "block_whitespace.jinja"})
    void rendersExactlyLikeTransformers(String name) throws IOException {
        JsonNode reference = JSON.readTree(resource("templates_expected.json").toFile()).get(name);
        List<Map<String, Object>> messages = JSON.convertValue(reference.get("conversation"), new TypeReference<>() { });

        String rendered = new ChatTemplate(Files.readString(resource(name))).render(messages, true, SPECIAL);

        assertThat(rendered).isEqualTo(reference.get("expected").asText());
    }

    @Test
    void raiseExceptionFailsWithTheTemplatesMessage() throws IOException {
        ChatTemplate template = new ChatTemplate(Files.readString(resource("mistral_style.jinja")));
        Map<String, Object> user = Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "hi")));

        assertThatThrownBy(() -> template.render(List.of(user, user), true, SPECIAL))
                .isInstanceOf(PromptException.class)
                .hasMessage("chat template failed: Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void templateErrorsFailClearly() {
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m['role'] }");
        assertThatThrownBy(() -> broken.render(List.of(Map.of("role", "user")), true, SPECIAL))
                .isInstanceOf(PromptException.class)
                .hasMessageStartingWith("chat template failed:");
        ChatTemplate unknownMethod = new ChatTemplate("{{ messages[0]['role'].no_such_method() }}");
        assertThatThrownBy(() -> unknownMethod.render(List.of(Map.of("role", "user")), true, SPECIAL))
                .isInstanceOf(PromptException.class)
                .hasMessageContaining("no_such_method");
    }

    @Test
    void listsAndDictsPrintAsPythonReprs() {
        ChatTemplate template = new ChatTemplate("{{ [1, 'a'] }} {{ {'k': 1} }} {{ 7 // 2 }} {{ 'abc'[1:] }}");
        assertThat(template.render(List.of(), true, SPECIAL)).isEqualTo("[1, 'a'] {'k': 1} 3 bc");
    }

    @Test
    void pythonStringMethodsBehaveLikePython() {
        ChatTemplate template = new ChatTemplate("{{ s.strip('x') }}|{{ s.split('x') | length }}|{{ s.lstrip('x') }}"
                + "|{{ '-'.join(['a', 'b']) }}|{{ 'a  b '.split() | length }}|{{ s.endswith(('y', 'x')) }}"
                + "|{{ 'hello world'.capitalize() }}|{{ s.count('x') }}");
        String rendered = template.render(List.of(), true, Map.of("s", "xxaxbxx"));
        assertThat(rendered).isEqualTo("axb|6|axbxx|a-b|2|true|Hello world|5");
    }

    @Test
    void findsTheTemplateInEveryPlaceTransformersLooks(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplate.find(LlavaFixture.modelDir("llava15-tiny"))).isPresent();
        assertThat(ChatTemplate.find(dir)).isEmpty();

        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D{{ bos_token }}\"}]}");
        assertThat(ChatTemplate.find(dir).orElseThrow().render(List.of(), true, SPECIAL)).isEqualTo("D<s>");

        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"J{% if add_generation_prompt %}G{% endif %}\"}");
        assertThat(ChatTemplate.find(dir).orElseThrow().render(List.of(), true, SPECIAL)).isEqualTo("JG");
    }

    static Path resource(String name) {
        try {
            return Path.of(ChatTemplateTest.class.getResource("/prompt/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
