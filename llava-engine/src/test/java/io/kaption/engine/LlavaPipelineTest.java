package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaFixture.CaseRef;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.generation.stream.Detokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** End to end from the fixtures' raw images and prompts (not their pixel_values) through {@link LlavaPipeline}. */
class LlavaPipelineTest {

    private static final Map<String, LlavaPipeline> PIPELINES = new HashMap<>();

    static synchronized LlavaPipeline pipeline(String variant) {
        return PIPELINES.computeIfAbsent(variant, v -> {
            try {
                return LlavaPipeline.load(LlavaFixture.modelDir(v), LlavaPipeline.Options.DEFAULTS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @AfterAll
    static void closeAll() {
        PIPELINES.values().forEach(LlavaPipeline::close);
        PIPELINES.clear();
    }

    static byte[] image(String variant, JsonNode c) {
        try {
            return Files.readAllBytes(LlavaFixture.variantDir(variant).resolve(c.path("image").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<CaseRef> singleCases() {
        return LlavaFixture.casesOfKind("single");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleCases")
    void imageAndPromptGiveTheFixtureIdsAndText(CaseRef ref) {
        JsonNode c = ref.json();
        JsonNode expected = c.path("preprocess").path("hf");
        int[] newIds = LlavaFixture.ints(expected.path("new_token_ids"));
        List<String> chunks = new ArrayList<>();
        List<Result> finished = new ArrayList<>();

        Result result = pipeline(ref.variant()).generate(List.of(new Request(c.path("prompt").asText(), true,
                image(ref.variant(), c), SamplingParams.greedy(newIds.length))), new LlavaPipeline.Listener() {
                    @Override
                    public void onText(int request, String text) {
                        chunks.add(text);
                    }

                    @Override
                    public void onFinish(int request, Result r) {
                        finished.add(r);
                    }
                }).get(0);

        assertThat(result.error()).isNull();
        assertThat(result.tokenIds()).containsExactly(newIds);
        assertThat(result.text()).isEqualTo(expected.path("new_text").asText());
        assertThat(String.join("", chunks)).isEqualTo(result.text());
        assertThat(chunks).doesNotContain("");
        assertThat(finished).containsExactly(result);
        assertThat(result.promptTokenIds()).containsExactly(LlavaFixture.ints(c.path("input_ids")));
        assertThat(result.promptTokens()).isEqualTo(c.path("input_ids_expanded").size());
        assertThat(result.completionTokens()).isEqualTo(newIds.length);
        assertThat(result.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    static Stream<String> variants() {
        return LlavaFixture.VARIANTS.stream();
    }

    @ParameterizedTest
    @MethodSource("variants")
    void batchCaseGivesEachRowsIds(String variant) {
        JsonNode batch = caseById(variant, "batch");
        List<Request> requests = new ArrayList<>();
        for (JsonNode item : batch.path("items")) {
            JsonNode source = caseById(variant, item.path("source_case").asText());
            requests.add(new Request(source.path("prompt").asText(), true, image(variant, source),
                    SamplingParams.greedy(batch.path("generate").path("max_new_tokens").asInt())));
        }

        List<Result> results = pipeline(variant).generate(requests, LlavaPipeline.Listener.NONE);

        for (int i = 0; i < results.size(); i++) {
            assertThat(results.get(i).tokenIds()).as("row %d", i)
                    .containsExactly(LlavaFixture.ints(batch.path("items").get(i).path("new_token_ids")));
        }
    }

    static Stream<CaseRef> processorCases() {
        return LlavaFixture.casesOfKind("processor");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("processorCases")
    void repetitionPenaltyAndNoRepeatNgramThroughTheParams(CaseRef ref) {
        JsonNode c = ref.json();
        JsonNode generate = c.path("generate");
        SamplingParams params = SamplingParams.greedy(generate.path("max_new_tokens").asInt())
                .withRepetitionPenalty(generate.path("repetition_penalty").asDouble(1.0))
                .withNoRepeatNgramSize(generate.path("no_repeat_ngram_size").asInt(0));

        Result result = pipeline(ref.variant()).generate(List.of(new Request(c.path("prompt").asText(), true,
                image(ref.variant(), c), params)), LlavaPipeline.Listener.NONE).get(0);

        assertThat(result.tokenIds()).containsExactly(LlavaFixture.ints(c.path("new_token_ids")));
        assertThat(result.text()).isEqualTo(c.path("new_text").asText());
    }

    @Test
    void badRequestsFailAloneWithAClearMessage() {
        JsonNode square = caseById("llava15-tiny", "square");
        byte[] png = image("llava15-tiny", square);
        SamplingParams params = SamplingParams.greedy(12);
        List<Request> requests = List.of(
                new Request("What?", true, "not an image".getBytes(), params),
                new Request(square.path("prompt").asText(), true, png, params),
                new Request("<image> twice <image>", false, png, params),
                new Request("<image> but none attached", false, null, params),
                new Request("too long", true, png, params.withPromptMaxTokens(10)));

        List<Result> results = pipeline("llava15-tiny").generate(requests, LlavaPipeline.Listener.NONE);

        assertThat(results.get(0).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(results.get(0).error()).containsIgnoringCase("image");
        assertThat(results.get(1).error()).isNull();
        assertThat(results.get(1).tokenIds())
                .containsExactly(LlavaFixture.ints(square.path("preprocess").path("hf").path("new_token_ids")));
        assertThat(results.get(2).error()).contains("2 <image> markers");
        assertThat(results.get(3).error()).contains("no image");
        assertThat(results.get(4).error()).contains("prompt limit 10").contains("image alone needs");
        assertThat(results).filteredOn(r -> r.error() != null).allSatisfy(r -> {
            assertThat(r.tokenIds()).isEmpty();
            assertThat(r.text()).isEmpty();
        });
        assertThat(results).extracting(Result::failure).containsExactly(FailureKind.INVALID_IMAGE, null,
                FailureKind.INVALID_PROMPT, FailureKind.INVALID_PROMPT, FailureKind.PROMPT_TOO_LONG);
    }

    @Test
    void sessionTakesRequestsWhileRunningAndCancelsWithTheTextSoFar() {
        JsonNode square = caseById("llava15-tiny", "square");
        JsonNode tall = caseById("llava15-tiny", "tall");
        Map<Integer, StringBuilder> streamed = new HashMap<>();
        Map<Integer, Result> finished = new HashMap<>();
        LlavaPipeline.Listener listener = new LlavaPipeline.Listener() {
            @Override
            public void onText(int request, String text) {
                streamed.computeIfAbsent(request, r -> new StringBuilder()).append(text);
            }

            @Override
            public void onFinish(int request, Result result) {
                assertThat(finished.put(request, result)).isNull();
            }
        };
        int[] tallIds = LlavaFixture.ints(tall.path("preprocess").path("hf").path("new_token_ids"));
        try (LlavaPipeline.Session session = pipeline("llava15-tiny").newSession(listener)) {
            int first = session.submit(new Request(square.path("prompt").asText(), true, image("llava15-tiny", square),
                    SamplingParams.greedy(200)));
            session.step();
            session.step();
            int second = session.submit(new Request(tall.path("prompt").asText(), true, image("llava15-tiny", tall),
                    SamplingParams.greedy(tallIds.length)));
            assertThatThrownBy(() -> session.submit(new Request(
                            "<image> twice <image>", false, image("llava15-tiny", tall), SamplingParams.greedy(4))))
                    .isInstanceOfSatisfying(RequestRejectedException.class,
                            e -> assertThat(e.kind()).isEqualTo(FailureKind.INVALID_PROMPT));
            assertThat(List.of(first, second)).containsExactly(0, 1);
            for (int i = 0; i < 6; i++) {
                session.step();
            }
            assertThat(session.cancel(first)).isTrue();
            assertThat(session.size()).isEqualTo(1);
            assertThat(finished).containsOnlyKeys(0);
            while (!session.isIdle()) {
                session.step();
            }
        }
        Result cancelled = finished.get(0);
        assertThat(cancelled.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(cancelled.failure()).isNull();
        assertThat(cancelled.completionTokens()).isBetween(3, 199);
        assertThat(cancelled.text()).isEqualTo(String.valueOf(streamed.getOrDefault(0, new StringBuilder())));
        assertThat(finished.get(1).tokenIds()).containsExactly(tallIds);
        assertThat(finished.get(1).text()).isEqualTo(tall.path("preprocess").path("hf").path("new_text").asText())
                .isEqualTo(streamed.get(1).toString());
    }

    @Test
    void promptMaxTokensTruncatesTheEarliestTextTokens() {
        JsonNode square = caseById("llava15-tiny", "square");
        int[] ids = LlavaFixture.ints(square.path("input_ids"));
        int fullLength = square.path("input_ids_expanded").size();

        Result result = pipeline("llava15-tiny").generate(List.of(new Request(square.path("prompt").asText(), true,
                image("llava15-tiny", square), SamplingParams.greedy(4).withPromptMaxTokens(fullLength - 3))),
                LlavaPipeline.Listener.NONE).get(0);

        assertThat(result.error()).isNull();
        assertThat(result.promptTokens()).isEqualTo(fullLength - 3);
        // BOS stays; the three tokens after it ("USER" and ":" pieces before the image) go.
        int[] expected = new int[ids.length - 3];
        expected[0] = ids[0];
        System.arraycopy(ids, 4, expected, 1, ids.length - 4);
        assertThat(result.promptTokenIds()).containsExactly(expected);
        assertThat(result.tokenIds()).hasSize(4);
    }

    @Test
    void textOnlyRequestRunsWithoutImageToken() {
        LlavaPipeline pipeline = pipeline("llava15-tiny");
        Result result = pipeline.generate(List.of(new Request("Say something.", true, null, SamplingParams.greedy(6))),
                LlavaPipeline.Listener.NONE).get(0);

        assertThat(result.error()).isNull();
        assertThat(result.promptTokenIds()).doesNotContain(32000).startsWith(1);
        assertThat(result.promptTokens()).isEqualTo(result.promptTokenIds().length);
        int[] direct = pipeline.engine().generate(List.of(new GenerationRequest(result.promptTokenIds(), List.of(),
                SamplingParams.greedy(6))), TokenListener.NONE).get(0).tokenIds();
        assertThat(result.tokenIds()).hasSize(6).containsExactly(direct);
    }

    @Test
    void eosEndsTheTextAndIsTheLastId(@TempDir Path temp) throws IOException {
        JsonNode square = caseById("llava15-tiny", "square");
        int[] greedy = LlavaFixture.ints(square.path("preprocess").path("hf").path("new_token_ids"));
        // An ordinary vocabulary id the model generates third becomes an EOS id: it must end the text unseen.
        Path model = editedModelCopy(temp, "generation_config.json",
                generation -> generation.putArray("eos_token_id").add(2).add(greedy[2]));

        try (LlavaPipeline pipeline = LlavaPipeline.load(model, LlavaPipeline.Options.DEFAULTS)) {
            Result result = pipeline.generate(List.of(new Request(square.path("prompt").asText(), true,
                    image("llava15-tiny", square), SamplingParams.greedy(12))), LlavaPipeline.Listener.NONE).get(0);

            assertThat(result.finishReason()).isEqualTo(FinishReason.EOS);
            assertThat(result.tokenIds()).containsExactly(greedy[0], greedy[1], greedy[2]);
            assertThat(result.completionTokens()).isEqualTo(3);
            String twoTokens = Detokenizer.load(model.resolve("tokenizer.json")).decode(new long[] {greedy[0], greedy[1]});
            assertThat(result.text()).isNotEmpty().isEqualTo(twoTokens);
        }
    }

    /** transformers' configs may leave image_token_index at its default; encoder and model must agree on 32000. */
    @Test
    void configWithoutImageTokenIndexUsesTransformersDefault(@TempDir Path temp) throws IOException {
        JsonNode square = caseById("llava15-tiny", "square");
        Path model = editedModelCopy(temp, "config.json", config -> config.remove("image_token_index"));

        try (LlavaPipeline pipeline = LlavaPipeline.load(model, LlavaPipeline.Options.DEFAULTS)) {
            Result result = pipeline.generate(List.of(new Request(square.path("prompt").asText(), true,
                    image("llava15-tiny", square), SamplingParams.greedy(12))), LlavaPipeline.Listener.NONE).get(0);

            assertThat(pipeline.engine().config().imageTokenId()).isEqualTo(32000);
            assertThat(result.promptTokenIds()).containsExactly(LlavaFixture.ints(square.path("input_ids")));
            assertThat(result.tokenIds())
                    .containsExactly(LlavaFixture.ints(square.path("preprocess").path("hf").path("new_token_ids")));
        }
    }

    /** A copy of the llava15-tiny model directory with one JSON file edited. */
    private static Path editedModelCopy(Path temp, String jsonFile, Consumer<ObjectNode> edit) throws IOException {
        Path model = temp.resolve("model");
        Files.createDirectories(model);
        try (Stream<Path> files = Files.list(LlavaFixture.modelDir("llava15-tiny"))) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = (ObjectNode) json.readTree(model.resolve(jsonFile).toFile());
        edit.accept(node);
        json.writeValue(model.resolve(jsonFile).toFile(), node);
        return model;
    }

    static JsonNode caseById(String variant, String id) {
        for (JsonNode c : LlavaFixture.casesJson(variant).path("cases")) {
            if (c.path("id").asText().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException(variant + " has no case " + id);
    }
}
