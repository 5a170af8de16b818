package io.kaption.engine.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.nn.Linear;
import io.kaption.engine.weights.DjlTensors;
import io.kaption.engine.weights.SafetensorsFile;
import io.kaption.engine.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PEFT LoRA adapter of the language model ({@code adapter_config.json} + {@code adapter_model.safetensors}), held
 * as one low-rank delta per fused decoder projection: for q/k/v (and gate/up) the modules' {@code A} matrices are
 * stacked and their {@code B} matrices placed block-diagonally, so {@code up(down(x))} is each module's
 * {@code scale·B·(A·x)} side by side, in the order {@code LlamaDecoder}'s fused output has them. The scale
 * ({@code lora_alpha / r}, or {@code / sqrt(r)} with {@code use_rslora}) is folded into {@code B} at load.
 *
 * <p>Keys are read in the layouts adapters are saved in: transformers ≥ 4.52 llava-hf
 * ({@code base_model.model.model.language_model.layers.N…}), older llava-hf
 * ({@code base_model.model.language_model.model.layers.N…}) and the original LLaVA repo or a bare Llama/Mistral
 * ({@code base_model.model.model.layers.N…}). {@code target_modules} is PEFT's: a string is a regex that must match
 * the whole module name, a list matches names equal to or ending in {@code .<entry>}.
 */
public final class LoraAdapter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY = Pattern.compile(
            "base_model\\.model\\.(.*)layers\\.(\\d+)\\.(self_attn\\.[qkvo]_proj|mlp\\.(?:gate|up|down)_proj)"
                    + "\\.lora_([AB])\\.weight");
    private static final Set<String> LAYOUT_PREFIXES = Set.of("model.language_model.", "language_model.model.",
            "model.");

    /** One fused projection's delta, {@code x ↦ up(down(x))}: {@code down} is A {@code [r, in]}, {@code up} scale·B. */
    record Delta(Linear down, Linear up) {
        NDArray apply(NDArray x) {
            return up.apply(down.apply(x));
        }
    }

    private final String id;
    private final NDManager manager;
    /** {@code [layer][projection]}, null where the adapter leaves the projection alone. */
    private final Delta[][] deltas;
    private final AtomicInteger users = new AtomicInteger();

    private LoraAdapter(String id, NDManager manager, Delta[][] deltas) {
        this.id = id;
        this.manager = manager;
        this.deltas = deltas;
    }

    public String id() {
        return id;
    }

    /** The delta of {@code projection} in {@code layer}, or null. */
    Delta delta(int layer, Projection projection) {
        return deltas[layer][projection.ordinal()];
    }

    /** One more request uses this adapter (under {@link LoraAdapters}' lock); one in use is never evicted. */
    void acquire() {
        users.incrementAndGet();
    }

    /** Ends one request's use, taken with {@link LoraAdapters#acquire}. */
    public void release() {
        users.decrementAndGet();
    }

    boolean inUse() {
        return users.get() > 0;
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * Reads and checks the adapter in {@code directory} against the decoder's shapes and puts its weights, in
     * {@code computeType}, under a sub-manager of {@code parent}.
     *
     * @throws LoraAdapterException naming the adapter and the file when it is missing, malformed, uses a PEFT
     *                              feature this engine does not apply, or does not fit the model
     */
    public static LoraAdapter load(String id, Path directory, TextConfig text, NDManager parent,
            DataType computeType) {
        Path configFile = directory.resolve("adapter_config.json");
        Path weightsFile = directory.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(configFile)) {
            throw new LoraAdapterException("LoRA adapter '" + id + "': " + configFile + " does not exist");
        }
        if (!Files.isRegularFile(weightsFile)) {
            throw new LoraAdapterException("LoRA adapter '" + id + "': " + weightsFile + " does not exist");
        }
        Settings settings = Settings.read(id, configFile);
        Map<String, Tensor[]> modules; // module name → {A, B}
        String prefix;
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            modules = new HashMap<>();
            Set<String> prefixes = new HashSet<>();
            for (String key : file.names()) {
                Matcher m = KEY.matcher(key);
                if (!m.matches() || !LAYOUT_PREFIXES.contains(m.group(1))) {
                    throw settings.error(weightsFile, "tensor " + key + " adapts a module this engine does not "
                            + "(only the language model's q/k/v/o and gate/up/down projections, as lora_A/lora_B)");
                }
                if (Integer.parseInt(m.group(2)) >= text.numLayers()) {
                    throw settings.error(weightsFile, "tensor " + key + " is for layer " + m.group(2)
                            + " but the model has " + text.numLayers() + " layers");
                }
                prefixes.add(m.group(1));
                String module = m.group(1) + "layers." + m.group(2) + "." + m.group(3);
                modules.computeIfAbsent(module, k -> new Tensor[2])[m.group(4).equals("A") ? 0 : 1] = file.load(key);
            }
            if (prefixes.size() > 1) {
                throw settings.error(weightsFile, "mixes key layouts " + prefixes);
            }
            if (modules.isEmpty()) {
                throw settings.error(weightsFile, "has no lora_A/lora_B tensors");
            }
            prefix = prefixes.iterator().next();
        } catch (LoraAdapterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LoraAdapterException("LoRA adapter '" + id + "': cannot read " + weightsFile + ": "
                    + e.getMessage(), e);
        }
        NDManager manager = parent.newSubManager();
        try {
            Delta[][] deltas = new Delta[text.numLayers()][Projection.values().length];
            Set<String> used = new HashSet<>();
            for (int layer = 0; layer < text.numLayers(); layer++) {
                for (Projection projection : Projection.values()) {
                    deltas[layer][projection.ordinal()] = settings.fuse(weightsFile, prefix + "layers." + layer + ".",
                            layer, projection, modules, used, text, manager, computeType);
                }
            }
            for (String module : modules.keySet()) {
                if (!used.contains(module)) {
                    throw settings.error(weightsFile, "has tensors for " + module + ", which "
                            + (settings.layers == null || settings.layers.contains(layerOf(module))
                                    ? "target_modules does not match" : "layers_to_transform excludes"));
                }
            }
            return new LoraAdapter(id, manager, deltas);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static int layerOf(String module) {
        Matcher m = Pattern.compile("layers\\.(\\d+)\\.").matcher(module);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** What adapter_config.json says, checked. */
    private record Settings(String id, Path configFile, int rank, double alpha, boolean rsLora,
            Predicate<String> target, Set<Integer> layers, Map<Pattern, Integer> rankPattern,
            Map<Pattern, Double> alphaPattern) {

        static Settings read(String id, Path configFile) {
            JsonNode config;
            try {
                config = JSON.readTree(configFile.toFile());
            } catch (IOException e) {
                throw new LoraAdapterException("LoRA adapter '" + id + "': " + configFile + " is not valid JSON: "
                        + e.getMessage(), e);
            }
            Settings partial = new Settings(id, configFile, 0, 0, false, null, null, Map.of(), Map.of());
            if (config == null || !config.isObject()) {
                throw partial.error(configFile, "is not a JSON object");
            }
            String peftType = config.path("peft_type").asText("LORA");
            if (!peftType.equals("LORA")) {
                throw partial.error(configFile, "peft_type " + peftType + " is not supported (only LORA)");
            }
            if (config.path("use_dora").asBoolean(false)) {
                throw partial.error(configFile, "use_dora is not supported");
            }
            if (!config.path("bias").asText("none").equals("none") || config.path("lora_bias").asBoolean(false)) {
                throw partial.error(configFile, "LoRA biases (bias / lora_bias) are not supported");
            }
            JsonNode saved = config.path("modules_to_save");
            if (saved.isArray() && !saved.isEmpty()) {
                throw partial.error(configFile, "modules_to_save is not supported (it replaces whole modules)");
            }
            int rank = config.path("r").asInt(0);
            if (rank < 1) {
                throw partial.error(configFile, "needs a positive integer r");
            }
            double alpha = config.path("lora_alpha").asDouble(8.0); // PEFT's default
            return new Settings(id, configFile, rank, alpha, config.path("use_rslora").asBoolean(false),
                    target(partial, config.path("target_modules")), layers(partial, config.path("layers_to_transform")),
                    patterns(partial, config.path("rank_pattern"), JsonNode::asInt),
                    patterns(partial, config.path("alpha_pattern"), JsonNode::asDouble));
        }

        private static Predicate<String> target(Settings s, JsonNode node) {
            if (node.isTextual()) {
                try {
                    Pattern regex = Pattern.compile(node.asText());
                    return name -> regex.matcher(name).matches(); // PEFT: re.fullmatch
                } catch (PatternSyntaxException e) {
                    throw s.error(s.configFile, "target_modules is not a valid regex: " + e.getDescription());
                }
            }
            if (node.isArray()) {
                List<String> names = new ArrayList<>();
                node.forEach(n -> names.add(n.asText()));
                return name -> names.stream().anyMatch(t -> name.equals(t) || name.endsWith("." + t));
            }
            throw s.error(s.configFile, "needs target_modules (a regex or a list of module names)");
        }

        private static Set<Integer> layers(Settings s, JsonNode node) {
            if (node.isMissingNode() || node.isNull()) {
                return null;
            }
            if (node.isInt()) {
                return Set.of(node.asInt());
            }
            if (node.isArray()) {
                Set<Integer> layers = new HashSet<>();
                node.forEach(n -> layers.add(n.asInt()));
                return layers;
            }
            throw s.error(s.configFile, "layers_to_transform must be an integer or a list of integers");
        }

        /** PEFT's rank_pattern / alpha_pattern: a key matches a module name ending in it ({@code (.*\.)?key$}). */
        private static <T> Map<Pattern, T> patterns(Settings s, JsonNode node,
                Function<JsonNode, T> value) {
            if (node.isMissingNode() || node.isNull() || node.isEmpty()) {
                return Map.of();
            }
            Map<Pattern, T> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                try {
                    out.put(Pattern.compile("(.*\\.)?" + e.getKey()), value.apply(e.getValue()));
                } catch (PatternSyntaxException ex) {
                    throw s.error(s.configFile, "pattern " + e.getKey() + " is not a valid regex");
                }
            }
            return out;
        }

        private <T> T patterned(Map<Pattern, T> patterns, String module, T fallback) {
            for (Map.Entry<Pattern, T> e : patterns.entrySet()) {
                if (e.getKey().matcher(module).matches()) {
                    return e.getValue();
                }
            }
            return fallback;
        }

        LoraAdapterException error(Path file, String problem) {
            return new LoraAdapterException("LoRA adapter '" + id + "': " + file + " " + problem);
        }

        /** The fused delta of one projection of one layer, or null when none of its modules is adapted. */
        Delta fuse(Path weightsFile, String layerPrefix, int layer, Projection projection,
                Map<String, Tensor[]> modules, Set<String> used, TextConfig text, NDManager manager,
                DataType computeType) {
            if (layers != null && !layers.contains(layer)) {
                return null;
            }
            int in = projection.inputWidth(text);
            List<Tensor[]> parts = new ArrayList<>();
            int totalRank = 0;
            int totalOut = 0;
            for (int i = 0; i < projection.modules.size(); i++) {
                String module = layerPrefix + projection.modules.get(i);
                int out = projection.outputWidth(i, text);
                totalOut += out;
                Tensor[] ab = modules.get(module);
                if (!target.test(module)) {
                    parts.add(null);
                    continue;
                }
                String key = "base_model.model." + module;
                if (ab == null || ab[0] == null || ab[1] == null) {
                    throw error(weightsFile, "has no tensor " + key + (ab == null || ab[0] == null ? ".lora_A" : ".lora_B")
                            + ".weight, but target_modules matches " + module);
                }
                int r = patterned(rankPattern, module, rank);
                expectShape(weightsFile, key + ".lora_A.weight", ab[0], r, in);
                expectShape(weightsFile, key + ".lora_B.weight", ab[1], out, r);
                used.add(module);
                parts.add(ab);
                totalRank += r;
            }
            if (totalRank == 0) {
                return null;
            }
            float[] down = new float[totalRank * in];
            float[] up = new float[totalOut * totalRank];
            int rankOffset = 0;
            int outOffset = 0;
            for (int i = 0; i < parts.size(); i++) {
                int out = projection.outputWidth(i, text);
                Tensor[] ab = parts.get(i);
                if (ab != null) {
                    String module = layerPrefix + projection.modules.get(i);
                    int r = ab[0].dim(0);
                    double a = patterned(alphaPattern, module, alpha);
                    float scale = (float) (rsLora ? a / Math.sqrt(r) : a / r);
                    System.arraycopy(ab[0].data(), 0, down, rankOffset * in, r * in);
                    float[] b = ab[1].data();
                    for (int o = 0; o < out; o++) {
                        for (int k = 0; k < r; k++) {
                            up[(outOffset + o) * totalRank + rankOffset + k] = b[o * r + k] * scale;
                        }
                    }
                    rankOffset += r;
                }
                outOffset += out;
            }
            return new Delta(
                    new Linear(DjlTensors.toNDArray(manager, new Tensor(new long[] {totalRank, in}, down), computeType),
                            null),
                    new Linear(DjlTensors.toNDArray(manager, new Tensor(new long[] {totalOut, totalRank}, up),
                            computeType), null));
        }

        private void expectShape(Path weightsFile, String key, Tensor tensor, long rows, long columns) {
            long[] expected = {rows, columns};
            if (!Arrays.equals(tensor.shape(), expected)) {
                throw error(weightsFile, "tensor " + key + " has shape " + Arrays.toString(tensor.shape())
                        + ", expected " + Arrays.toString(expected) + " (lora_A is [r, in], lora_B [out, r]: r from "
                        + "adapter_config.json, in and out from this model)");
            }
        }
    }
}
