package io.kaption.engine.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.LlavaFixture.CaseRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Prompt strings and ids of every fixture case, through every encoding path. */
class PromptEncoderTest {

    static Stream<CaseRef> promptCases() {
        return LlavaFixture.casesOfKind("single", "processor");
    }

    static PromptEncoder encoder(String variant) throws IOException {
        return PromptEncoder.forCheckpoint(LlavaFixture.modelDir(variant), FixtureTokenizers.of(variant), Optional.empty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("promptCases")
    void chatTemplateGivesTheFixturePromptAndIds(CaseRef ref) throws IOException {
        JsonNode c = ref.json();

        EncodedPrompt prompt = encoder(ref.variant()).encode(c.get("prompt").asText(), true);

        assertThat(prompt.text()).isEqualTo(c.get("prompt_string").asText());
        assertThat(prompt.ids()).containsExactly(longs(c.get("input_ids")));
        int n = c.get("num_image_tokens").asInt();
        assertThat(prompt.expandedIds(n)).containsExactly(longs(c.get("input_ids_expanded")));
        assertThat(prompt.length(n)).isEqualTo(c.get("input_ids_expanded").size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("promptCases")
    void verbatimTextWithItsMarkerGivesTheSameIds(CaseRef ref) throws IOException {
        JsonNode c = ref.json();

        EncodedPrompt prompt = encoder(ref.variant()).encode(c.get("prompt_string").asText(), false);

        assertThat(prompt.ids()).containsExactly(longs(c.get("input_ids")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("promptCases")
    void splittingAtTheMarkerLikeTheLlavaRepoGivesTheSameIds(CaseRef ref) {
        JsonNode c = ref.json();

        long[] ids = PromptEncoder.spliceImageToken(FixtureTokenizers.of(ref.variant()), c.get("prompt_string").asText(),
                32000, true);

        assertThat(ids).containsExactly(longs(c.get("input_ids")));
    }

    static Stream<String> variants() {
        return LlavaFixture.VARIANTS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void batchItemsAreTheirPromptsLeftPadded(String variant) throws IOException {
        JsonNode batch = LlavaFixture.casesOfKind("batch").filter(c -> c.variant().equals(variant))
                .findFirst().orElseThrow().json();
        for (JsonNode item : batch.get("items")) {
            long[] padded = longs(item.get("input_ids_padded"));
            int pads = 0;
            while (padded[pads] == batch.get("pad_token_id").asLong()) {
                pads++;
            }
            int imageTokens = (int) Arrays.stream(padded).filter(id -> id == 32000).count();

            EncodedPrompt prompt = encoder(variant).encode(item.get("prompt_string").asText(), false);

            assertThat(prompt.expandedIds(imageTokens)).containsExactly(Arrays.copyOfRange(padded, pads, padded.length));
        }
    }

    @Test
    void textWithoutMarkerGetsTheImageRightAfterBos() throws IOException {
        PromptEncoder encoder = encoder("llava15-tiny");

        EncodedPrompt prompt = encoder.encode("What is shown in this image?", false);

        assertThat(prompt.text()).isEqualTo("<image>What is shown in this image?");
        assertThat(prompt.ids()[0]).isEqualTo(1);
        assertThat(prompt.ids()[1]).isEqualTo(32000);
        assertThat(prompt.imagePosition()).isEqualTo(1);
        long[] textOnly = FixtureTokenizers.of("llava15-tiny").encode("What is shown in this image?", false);
        assertThat(Arrays.copyOfRange(prompt.ids(), 2, prompt.ids().length)).containsExactly(textOnly);
    }

    @Test
    void markerInTemplatedTextIsRemovedBecauseTheTemplatePlacesTheImage() throws IOException {
        EncodedPrompt prompt = encoder("llava15-tiny").encode("<image>\nWhat?", true);

        assertThat(prompt.text()).isEqualTo("USER: <image>\nWhat? ASSISTANT:");
    }

    @Test
    void textOnlyPromptsHaveNoImageToken() throws IOException {
        PromptEncoder encoder = encoder("llava15-tiny");
        LlavaTokenizer tokenizer = FixtureTokenizers.of("llava15-tiny");

        EncodedPrompt templated = encoder.encodeTextOnly("What?", true);
        EncodedPrompt verbatim = encoder.encodeTextOnly("USER: What? ASSISTANT:", false);

        assertThat(templated.text()).isEqualTo("USER: What? ASSISTANT:");
        assertThat(templated.ids()).containsExactly(tokenizer.encode("USER: What? ASSISTANT:", true));
        assertThat(verbatim.ids()).containsExactly(templated.ids());
        assertThat(templated.hasImage()).isFalse();
        assertThat(templated.length(576)).isEqualTo(templated.ids().length);
        assertThat(templated.expandedIds(576)).containsExactly(templated.ids());
        EncodedPrompt cut = templated.truncateLeft(templated.ids().length - 2, 576, 1);
        assertThat(cut.ids()).containsExactly(concat(new long[] {1},
                Arrays.copyOfRange(templated.ids(), 3, templated.ids().length)));
        assertThatThrownBy(() -> encoder.encodeTextOnly("<image> What?", true))
                .isInstanceOf(PromptException.class)
                .hasMessageContaining("no image");
    }

    @Test
    void moreThanOneMarkerIsRejected() throws IOException {
        assertThatThrownBy(() -> encoder("llava15-tiny").encode("<image> and <image>", false))
                .isInstanceOf(PromptException.class)
                .hasMessageContaining("2 <image> markers");
    }

    @Test
    void templateSyntaxInUserTextIsNotEvaluated() throws IOException {
        EncodedPrompt prompt = encoder("llava15-tiny").encode("{{ 7*7 }} {% if true %}x{% endif %}", true);

        assertThat(prompt.text()).isEqualTo("USER: <image>\n{{ 7*7 }} {% if true %}x{% endif %} ASSISTANT:");
    }

    @Test
    void llavaV1FormatForOriginalLlamaCheckpoints(@TempDir Path dir) throws IOException {
        PromptEncoder encoder = originalCheckpoint(dir, "llava15-tiny", "LlavaLlamaForCausalLM");

        EncodedPrompt prompt = encoder.encode("What?", true);

        assertThat(encoder.imageTokenId()).isEqualTo(-200);
        String expected = "A chat between a curious human and an artificial intelligence assistant. The assistant gives "
                + "helpful, detailed, and polite answers to the human's questions. USER: <image>\nWhat? ASSISTANT:";
        assertThat(prompt.text()).isEqualTo(expected);
        assertThat(prompt.imageTokenId()).isEqualTo(PromptEncoder.ORIGINAL_LLAVA_IMAGE_TOKEN_ID);
        assertThat(prompt.ids()).containsExactly(withImageId(FixtureTokenizers.of("llava15-tiny").encode(expected, true), -200));
    }

    @Test
    void mistralInstructFormatForOriginalMistralCheckpoints(@TempDir Path dir) throws IOException {
        PromptEncoder encoder = originalCheckpoint(dir, "llava-mistral-tiny", "LlavaMistralForCausalLM");

        EncodedPrompt prompt = encoder.encode("Describe the colors.", true);

        assertThat(prompt.text()).isEqualTo("[INST] <image>\nDescribe the colors. [/INST]");
        assertThat(prompt.ids()).containsExactly(
                withImageId(FixtureTokenizers.of("llava-mistral-tiny").encode(prompt.text(), true), -200));
    }

    @Test
    void conversationFormatsRenderSeveralTurnsAndImages(@TempDir Path dir) throws IOException {
        Conversation chat = new Conversation(List.of(
                new Conversation.Message("system", List.of(Conversation.Part.text("Be brief."))),
                new Conversation.Message("user", List.of(Conversation.Part.text("What?"), Conversation.Part.IMAGE,
                        Conversation.Part.IMAGE)),
                new Conversation.Message("assistant", List.of(Conversation.Part.text("Two cats."))),
                new Conversation.Message("user", List.of(Conversation.Part.text("Colours?")))));

        EncodedPrompt vicuna = originalCheckpoint(Files.createDirectories(dir.resolve("v1")), "llava15-tiny", "LlavaLlamaForCausalLM")
                .encodeConversation(chat);
        EncodedPrompt mistral = originalCheckpoint(Files.createDirectories(dir.resolve("mistral")), "llava-mistral-tiny",
                "LlavaMistralForCausalLM").encodeConversation(chat);

        // llava/conversation.py: SeparatorStyle.TWO (" " then "</s>") and LLAMA_2 (<<SYS>> in the first turn).
        assertThat(vicuna.text()).isEqualTo(
                "Be brief. USER: <image>\n<image>\nWhat? ASSISTANT: Two cats.</s>USER: Colours? ASSISTANT:");
        assertThat(mistral.text()).isEqualTo("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n<image>\n<image>\nWhat? "
                + "[/INST] Two cats. </s>[INST] Colours? [/INST]");
        assertThat(vicuna.imageCount()).isEqualTo(2);
        assertThat(mistral.imageCount()).isEqualTo(2);
    }

    @Test
    void aTextAboutSeveralImagesPutsThemAllBeforeItOrAtItsMarkers() throws IOException {
        PromptEncoder encoder = encoder("llava15-tiny");

        assertThat(encoder.encode("Compare.", true, 2).text()).isEqualTo("USER: <image>\n<image>\nCompare. ASSISTANT:");
        assertThat(encoder.encode("<image> and <image>: compare.", true, 2).text())
                .isEqualTo("USER: <image>\n<image>\nand : compare. ASSISTANT:");
        assertThat(encoder.encode("A <image> B <image>", false, 2).imageCount()).isEqualTo(2);
        assertThat(encoder.encode("Compare.", false, 3).text()).isEqualTo("<image><image><image>Compare.");
        assertThatThrownBy(() -> encoder.encode("<image> only one", false, 2))
                .isInstanceOf(PromptException.class).hasMessageContaining("2 images").hasMessageContaining("1 <image>");
        EncodedPrompt two = encoder.encode("Compare.", true, 2);
        assertThat(two.length(16 + 88)).isEqualTo(two.ids().length - 2 + 104);
        assertThat(two.expandedIds(16, 88)).hasSize(two.ids().length - 2 + 104);
        assertThatThrownBy(() -> encoder.encodeConversation(new Conversation(List.of(new Conversation.Message("user",
                List.of(Conversation.Part.text("sneaky <image>"))))))).isInstanceOf(PromptException.class);
    }

    @Test
    void forcedConversationFormatOverridesTheTemplate() throws IOException {
        PromptEncoder encoder = PromptEncoder.forCheckpoint(LlavaFixture.modelDir("llava15-tiny"),
                FixtureTokenizers.of("llava15-tiny"), Optional.of(ConversationFormat.MISTRAL_INSTRUCT));

        assertThat(encoder.encode("Hi <image>", true).text()).isEqualTo("[INST] Hi <image> [/INST]");
    }

    @Test
    void truncationDropsTheEarliestTextTokensAndKeepsBosAndImage() throws IOException {
        EncodedPrompt prompt = encoder("llava15-tiny").encode("What is shown in this image?", true);
        long[] ids = prompt.ids();

        EncodedPrompt cut = prompt.truncateLeft(prompt.length(16) - 3, 16, 1);

        assertThat(cut.length(16)).isEqualTo(prompt.length(16) - 3);
        assertThat(cut.ids()[0]).isEqualTo(1);
        assertThat(cut.ids()).containsExactly(concat(new long[] {1}, Arrays.copyOfRange(ids, 4, ids.length)));
        assertThat(prompt.truncateLeft(prompt.length(16), 16, 1)).isSameAs(prompt);
        assertThatThrownBy(() -> prompt.truncateLeft(16, 16, 1))
                .isInstanceOf(PromptException.class)
                .hasMessageContaining("17 tokens the image alone needs");
    }

    @Test
    void specialTokenIdsComeFromGenerationConfig() throws IOException {
        for (String variant : LlavaFixture.VARIANTS) {
            SpecialTokenIds ids = SpecialTokenIds.read(LlavaFixture.modelDir(variant), FixtureTokenizers.of(variant));
            assertThat(ids).isEqualTo(new SpecialTokenIds(1, new int[] {2}, 32001));
            assertThat(ids.isEos(2)).isTrue();
            assertThat(ids.isEos(32001)).isFalse();
        }
    }

    @Test
    void templateThatWritesBosGetsNoSecondBos(@TempDir Path dir) throws IOException {
        Path model = LlavaFixture.modelDir("llava-mistral-tiny");
        for (String file : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(model.resolve(file), dir.resolve(file));
        }
        Files.copy(ChatTemplateTest.resource("mistral_style.jinja"), dir.resolve("chat_template.jinja"));
        PromptEncoder encoder = PromptEncoder.forCheckpoint(dir, FixtureTokenizers.of("llava-mistral-tiny"), Optional.empty());

        EncodedPrompt prompt = encoder.encode("What?", true);

        assertThat(prompt.text()).isEqualTo("<s>[INST] <image>\nWhat? [/INST]");
        assertThat(prompt.ids()[0]).isEqualTo(1);
        assertThat(prompt.ids()[1]).isNotEqualTo(1);
        assertThat(prompt.ids()).containsExactly(FixtureTokenizers.of("llava-mistral-tiny").encode(prompt.text(), false));
    }

    @Test
    void specialTokenIdsFallBackToTheTokenizersTokenNames(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlavaLlamaForCausalLM\"]}");

        SpecialTokenIds ids = SpecialTokenIds.read(dir, FixtureTokenizers.of("llava15-tiny"));

        assertThat(ids).isEqualTo(new SpecialTokenIds(1, new int[] {2}, 32001));
    }

    @Test
    void longPromptsAreNotTruncatedByTheTokenizer() {
        String text = "word ".repeat(3000);
        long[] ids = FixtureTokenizers.of("llava15-tiny").encode(text, true);
        assertThat(ids.length).isGreaterThan(3000);
    }

    private static PromptEncoder originalCheckpoint(Path dir, String variant, String architecture) throws IOException {
        Path model = LlavaFixture.modelDir(variant);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"" + architecture + "\"], "
                + "\"mm_vision_tower\": \"openai/clip-vit-large-patch14-336\"}");
        for (String file : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
            Files.copy(model.resolve(file), dir.resolve(file));
        }
        return PromptEncoder.forCheckpoint(dir, FixtureTokenizers.of(variant), Optional.empty());
    }

    private static long[] withImageId(long[] ids, long imageId) {
        return Arrays.stream(ids).map(id -> id == 32000 ? imageId : id).toArray();
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
