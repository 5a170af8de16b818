package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.weights.SafetensorsFile;
import io.kaption.engine.weights.SafetensorsWriter;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code lora} case of conversations.json (llava15-tiny, llava-mistral-tiny; PEFT 0.21 adapters on q/k/v/o and
 * gate/up/down): every row alone and all rows as one mixed batch (two adapters and the base model, peft's
 * {@code adapter_names}) give transformers' ids token for token; the same adapter saved in the other key layouts
 * gives the same ids; bad adapters fail their request alone with a message naming the adapter and the file.
 */
class LoraParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode loraCase(String variant) {
        return StreamSupport.stream(LlavaFixture.conversationsJson(variant).path("cases").spliterator(), false)
                .filter(c -> c.path("kind").asText().equals("lora")).findFirst().orElseThrow();
    }

    private static Request row(String variant, JsonNode row) throws IOException {
        byte[] image = Files.readAllBytes(LlavaFixture.variantDir(variant).resolve(row.path("image").asText()));
        Request request = new Request(row.path("prompt_string").asText(), false, image,
                SamplingParams.greedy(row.path("new_token_ids").size()));
        return request.withLora(row.path("lora_id").isNull() ? null : row.path("lora_id").asText());
    }

    private static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static LlavaPipeline pipeline(String variant, Path loraDir, int maxLoaded) throws IOException {
        return LlavaPipeline.load(LlavaFixture.modelDir(variant),
                LlavaPipeline.Options.DEFAULTS.withLora(loraDir, maxLoaded));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny"})
    void rowsAloneAndAsOneMixedBatchMatchTransformers(String variant) throws IOException {
        JsonNode rows = loraCase(variant).path("rows");
        assertThat(rows.size()).isEqualTo(4);
        try (LlavaPipeline pipeline = pipeline(variant, LlavaFixture.variantDir(variant).resolve("lora"), 8)) {
            List<Request> requests = new ArrayList<>();
            for (JsonNode row : rows) {
                Request request = row(variant, row);
                requests.add(request);
                Result alone = pipeline.generate(List.of(request), LlavaPipeline.Listener.NONE).get(0);
                assertThat(alone.error()).isNull();
                assertThat(alone.tokenIds()).as("%s %s alone", variant, row.path("lora_id"))
                        .containsExactly(ids(row.path("new_token_ids")));
                assertThat(alone.text()).isEqualTo(row.path("new_text").asText());
            }
            List<Result> mixed = pipeline.generate(requests, LlavaPipeline.Listener.NONE);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(mixed.get(i).tokenIds()).as("%s row %d in the mixed batch", variant, i)
                        .containsExactly(ids(rows.get(i).path("mixed_batch_new_token_ids")));
            }
            // Base rows differ from adapted ones on the same image: the adapters really act.
            assertThat(mixed.get(0).tokenIds()).isNotEqualTo(mixed.get(3).tokenIds());
            assertThat(pipeline.loraAdapters().orElseThrow().loaded()).containsExactlyInAnyOrder("style-a",
                    "style-b");
        }
    }

    /** The adapter rewritten with {@code rename} applied to every key and {@code config} edited. */
    private static void rewrite(Path from, Path to, UnaryOperator<String> rename, ObjectNode configEdits)
            throws IOException {
        Files.createDirectories(to);
        ObjectNode config = (ObjectNode) JSON.readTree(from.resolve("adapter_config.json").toFile());
        config.setAll(configEdits);
        JSON.writeValue(to.resolve("adapter_config.json").toFile(), config);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(from.resolve("adapter_model.safetensors"))) {
            for (String name : file.names()) {
                String renamed = rename.apply(name);
                if (renamed != null) {
                    tensors.put(renamed, file.load(name));
                }
            }
        }
        SafetensorsWriter.write(to.resolve("adapter_model.safetensors"), tensors, Map.of());
    }

    @Test
    void otherKeyLayoutsGiveTheSameTokens(@TempDir Path loraDir) throws IOException {
        String variant = "llava15-tiny";
        Path styleB = LlavaFixture.variantDir(variant).resolve("lora/style-b");
        // The original LLaVA repo's layout, with target_modules as a list of names (as its training script writes).
        ObjectNode listTargets = JSON.createObjectNode();
        listTargets.putArray("target_modules").add("q_proj").add("k_proj").add("v_proj").add("o_proj")
                .add("gate_proj").add("up_proj").add("down_proj");
        rewrite(styleB, loraDir.resolve("original"),
                k -> k.replace("base_model.model.model.language_model.layers.", "base_model.model.model.layers."),
                listTargets);
        // llava-hf before transformers 4.52.
        rewrite(styleB, loraDir.resolve("legacy-hf"), k -> k.replace("base_model.model.model.language_model.",
                "base_model.model.language_model.model."), JSON.createObjectNode());
        JsonNode row = loraCase(variant).path("rows").get(1);
        assertThat(row.path("lora_id").asText()).isEqualTo("style-b");
        try (LlavaPipeline pipeline = pipeline(variant, loraDir, 8)) {
            for (String id : List.of("original", "legacy-hf")) {
                Result result = pipeline.generate(List.of(row(variant, row).withLora(id)), LlavaPipeline.Listener.NONE)
                        .get(0);
                assertThat(result.tokenIds()).as(id).containsExactly(ids(row.path("new_token_ids")));
            }
        }
    }

    @Test
    void badAdaptersFailTheirRequestAloneNamingAdapterAndFile(@TempDir Path loraDir) throws IOException {
        String variant = "llava15-tiny";
        Path styleA = LlavaFixture.variantDir(variant).resolve("lora/style-a");
        String qA = "base_model.model.model.language_model.layers.1.self_attn.q_proj.lora_A.weight";
        rewrite(styleA, loraDir.resolve("missing-key"), k -> k.equals(qA) ? null : k, JSON.createObjectNode());
        ObjectNode rank8 = JSON.createObjectNode().put("r", 8);
        rewrite(styleA, loraDir.resolve("wrong-rank"), k -> k, rank8);
        rewrite(styleA, loraDir.resolve("vision"), k -> k.replace("model.language_model.layers.0.self_attn",
                "model.vision_tower.vision_model.encoder.layers.0.self_attn"), JSON.createObjectNode());
        Files.createDirectories(loraDir.resolve("no-weights"));
        Files.copy(styleA.resolve("adapter_config.json"), loraDir.resolve("no-weights/adapter_config.json"));
        Files.createDirectories(loraDir.resolve("garbage"));
        Files.copy(styleA.resolve("adapter_config.json"), loraDir.resolve("garbage/adapter_config.json"));
        Files.writeString(loraDir.resolve("garbage/adapter_model.safetensors"), "not a safetensors file");
        JsonNode rows = loraCase(variant).path("rows");
        JsonNode base = rows.get(2);
        assertThat(base.path("lora_id").isNull()).isTrue();
        try (LlavaPipeline pipeline = pipeline(variant, loraDir, 8)) {
            List<Request> requests = new ArrayList<>();
            requests.add(row(variant, base));
            for (String id : List.of("missing-key", "wrong-rank", "vision", "no-weights", "garbage", "nope",
                    "../model", "")) {
                requests.add(row(variant, base).withLora(id));
            }
            requests.add(row(variant, base));
            List<Result> results = pipeline.generate(requests, LlavaPipeline.Listener.NONE);
            for (int i : new int[] {0, requests.size() - 1}) {
                assertThat(results.get(i).tokenIds()).containsExactly(ids(base.path("new_token_ids")));
            }
            List<Result> failed = results.subList(1, requests.size() - 1);
            assertThat(failed).allSatisfy(r -> {
                assertThat(r.finishReason()).isEqualTo(FinishReason.ERROR);
                assertThat(r.failure()).isEqualTo(FailureKind.INVALID_ADAPTER);
            });
            assertThat(failed.get(0).error()).contains("'missing-key'", "adapter_model.safetensors", qA);
            assertThat(failed.get(1).error()).contains("'wrong-rank'", "has shape [4, 64], expected [8, 64]");
            assertThat(failed.get(2).error()).contains("'vision'", "vision_tower", "does not");
            assertThat(failed.get(3).error()).contains("'no-weights'", "adapter_model.safetensors does not exist");
            assertThat(failed.get(4).error()).contains("'garbage'", "cannot read");
            assertThat(failed.get(5).error()).contains("unknown LoRA adapter 'nope'");
            assertThat(failed.get(6).error()).contains("unknown LoRA adapter '../model'");
            assertThat(failed.get(7).error()).contains("unknown LoRA adapter ''");
            assertThat(pipeline.loraAdapters().orElseThrow().loaded()).isEmpty();
        }
    }

    @Test
    void withoutAnAdapterDirectoryALoraIdIsRefused() throws IOException {
        String variant = "llava15-tiny";
        JsonNode row = loraCase(variant).path("rows").get(0);
        try (LlavaPipeline pipeline = LlavaPipeline.load(LlavaFixture.modelDir(variant),
                LlavaPipeline.Options.DEFAULTS)) {
            Result result = pipeline.generate(List.of(row(variant, row)), LlavaPipeline.Listener.NONE).get(0);
            assertThat(result.failure()).isEqualTo(FailureKind.INVALID_ADAPTER);
            assertThat(result.error()).contains("'style-a'", "no adapter directory");
        }
    }

    @Test
    void leastRecentlyUsedAdaptersAreFreedButNeverWhileInUse() throws IOException {
        String variant = "llava-mistral-tiny";
        JsonNode rows = loraCase(variant).path("rows");
        try (LlavaPipeline pipeline = pipeline(variant, LlavaFixture.variantDir(variant).resolve("lora"), 1)) {
            // One at a time: only the last one stays loaded.
            for (int i : new int[] {0, 1, 3, 0}) {
                Result r = pipeline.generate(List.of(row(variant, rows.get(i))), LlavaPipeline.Listener.NONE).get(0);
                assertThat(r.tokenIds()).containsExactly(ids(rows.get(i).path("new_token_ids")));
                assertThat(pipeline.loraAdapters().orElseThrow().loaded())
                        .containsExactly(rows.get(i).path("lora_id").asText());
            }
            // Both in one batch: the limit is exceeded while both run, and both answers stay right.
            List<Request> both = List.of(row(variant, rows.get(0)), row(variant, rows.get(1)), row(variant, rows.get(3)));
            List<Result> results = pipeline.generate(both, LlavaPipeline.Listener.NONE);
            for (int i = 0; i < both.size(); i++) {
                int row = new int[] {0, 1, 3}[i];
                assertThat(results.get(i).tokenIds()).containsExactly(ids(rows.get(row).path("new_token_ids")));
            }
            assertThat(pipeline.loraAdapters().orElseThrow().loaded()).hasSizeBetween(1, 2);
            // The next load frees what is no longer used.
            pipeline.generate(List.of(row(variant, rows.get(0))), LlavaPipeline.Listener.NONE);
            assertThat(pipeline.loraAdapters().orElseThrow().loaded()).containsExactly("style-a");
        }
    }
}
