package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaFixture.CaseRef;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.prompt.Conversation;
import io.kaption.engine.prompt.LlavaTokenizer;
import io.kaption.engine.prompt.PromptEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code chat} case of conversations.json (several images per prompt, several turns, a system message) of every
 * public variant, from the raw images through {@link LlavaPipeline}: the checkpoint's chat template renders the
 * conversation, each image is preprocessed on its own (NeXT: its own anyres grid), and the ids match transformers.
 */
class ConversationParityTest {

    private static final Map<String, LlavaPipeline> PIPELINES = new HashMap<>();
    private static final Map<String, LlavaTokenizer> TOKENIZERS = new HashMap<>();

    static synchronized LlavaPipeline pipeline(String variant) {
        return PIPELINES.computeIfAbsent(variant, v -> {
            try {
                return LlavaPipeline.load(LlavaFixture.modelDir(v), LlavaPipeline.Options.DEFAULTS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static synchronized PromptEncoder encoder(String variant) throws IOException {
        LlavaTokenizer tokenizer = TOKENIZERS.get(variant);
        if (tokenizer == null) {
            tokenizer = LlavaTokenizer.load(LlavaFixture.modelDir(variant));
            TOKENIZERS.put(variant, tokenizer);
        }
        return PromptEncoder.forCheckpoint(LlavaFixture.modelDir(variant), tokenizer, Optional.empty());
    }

    @AfterAll
    static void closeAll() {
        PIPELINES.values().forEach(LlavaPipeline::close);
        PIPELINES.clear();
        TOKENIZERS.values().forEach(LlavaTokenizer::close);
        TOKENIZERS.clear();
    }

    static Stream<CaseRef> chatCases() {
        List<CaseRef> cases = new ArrayList<>();
        for (String variant : LlavaFixture.PUBLIC_VARIANTS) {
            for (JsonNode c : LlavaFixture.conversationsJson(variant).path("cases")) {
                if (c.path("kind").asText().equals("chat")) {
                    cases.add(new CaseRef(variant, c));
                }
            }
        }
        assertThat(cases).as("chat cases of the public variants").hasSizeGreaterThanOrEqualTo(12);
        return cases.stream();
    }

    static Stream<String> variants() {
        return LlavaFixture.PUBLIC_VARIANTS.stream();
    }

    /** {@code messages_hf}: content parts {@code {"type": "image"}} and {@code {"type": "text", "text"}}. */
    static Conversation conversation(JsonNode messagesHf) {
        List<Conversation.Message> messages = new ArrayList<>();
        for (JsonNode message : messagesHf) {
            List<Conversation.Part> parts = new ArrayList<>();
            for (JsonNode part : message.path("content")) {
                parts.add(part.path("type").asText().equals("image") ? Conversation.Part.IMAGE
                        : Conversation.Part.text(part.path("text").asText()));
            }
            messages.add(new Conversation.Message(message.path("role").asText(), parts));
        }
        return new Conversation(messages);
    }

    static Request request(String variant, JsonNode c) {
        List<byte[]> images = new ArrayList<>();
        for (JsonNode ref : c.path("image_refs")) {
            try {
                images.add(Files.readAllBytes(LlavaFixture.variantDir(variant).resolve(ref.asText())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Request.conversation(conversation(c.path("messages_hf")), images,
                SamplingParams.greedy(c.path("new_token_ids").size()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chatCases")
    void theChatTemplateRendersTheConversationAsTransformersDoes(CaseRef ref) throws IOException {
        JsonNode c = ref.json();
        var prompt = encoder(ref.variant()).encodeConversation(conversation(c.path("messages_hf")));
        assertThat(prompt.text()).isEqualTo(c.path("prompt_string").asText());
        assertThat(prompt.ids()).containsExactly(java.util.Arrays.stream(LlavaFixture.ints(c.path("input_ids"))).asLongStream().toArray());
        assertThat(prompt.imageCount()).isEqualTo(c.path("image_refs").size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chatCases")
    void conversationGivesTheFixtureIdsAndText(CaseRef ref) {
        JsonNode c = ref.json();
        Result result = pipeline(ref.variant()).generate(List.of(request(ref.variant(), c)), LlavaPipeline.Listener.NONE)
                .get(0);
        assertThat(result.error()).isNull();
        assertThat(result.promptTokenIds()).containsExactly(LlavaFixture.ints(c.path("input_ids")));
        assertThat(result.promptTokens()).as("expanded prompt length, every image's features included")
                .isEqualTo(c.path("input_ids_expanded").size());
        assertThat(result.tokenIds()).containsExactly(LlavaFixture.ints(c.path("new_token_ids")));
        assertThat(result.text()).isEqualTo(c.path("new_text").asText());
        assertThat(result.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void allConversationsInOneBatchGiveTheirOwnIds(String variant) {
        List<JsonNode> cases = new ArrayList<>();
        LlavaFixture.conversationsJson(variant).path("cases").forEach(c -> {
            if (c.path("kind").asText().equals("chat")) {
                cases.add(c);
            }
        });
        List<Request> requests = cases.stream().map(c -> request(variant, c)).toList();
        List<Result> results = pipeline(variant).generate(requests, LlavaPipeline.Listener.NONE);
        for (int i = 0; i < cases.size(); i++) {
            assertThat(results.get(i).tokenIds()).as("%s in a batch of %d", cases.get(i).path("id").asText(),
                    cases.size()).containsExactly(LlavaFixture.ints(cases.get(i).path("new_token_ids")));
        }
    }
}
