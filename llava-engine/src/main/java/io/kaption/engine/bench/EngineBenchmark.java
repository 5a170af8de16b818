package io.kaption.engine.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaModel;
import io.kaption.engine.checkpoint.CheckpointFormat;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.checkpoint.VisionConfig;
import io.kaption.engine.demo.RandomWeights;
import io.kaption.engine.generation.GenerationBatch;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.Sequence;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.generation.constraint.TokenAutomaton;
import io.kaption.engine.generation.stream.Detokenizer;
import io.kaption.engine.vision.PixelValues;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prefill time and decode throughput of a ≈150M-parameter LLaVA-shaped model built in memory from seeded random
 * weights (CLIP 224/14, 512 wide, 6 layers; Llama 768 wide, 12 layers, vocab 32064), or of the LLaVA-1.5
 * checkpoint given by {@code --model}: one image and a 28-token prompt per row, 32 new tokens (greedy, EOS
 * suppressed, so every row generates all of them).
 *
 * <pre>java -cp ... io.kaption.engine.bench.EngineBenchmark [float32|float16 ...] [--batches 1,4,16] [--repeats 3]
 *     [--model DIR] [--serve] [--constraint json|regex:PATTERN|json:SCHEMA] [--profile TRACE.json]
 *     [--prefill-tokens N]</pre>
 *
 * <p>{@code --prefill-tokens} is {@link LlavaEngine.Options#prefillTokensPerPass()} (default {@value
 * LlavaEngine.Options#DEFAULT_PREFILL_TOKENS_PER_PASS}): a batch's rows are prefilled in passes of at most that many
 * tokens.
 *
 * <p>{@code --serve} is for the side-by-side benchmark ({@code tools/bench/side_by_side.py}), which interleaves
 * runs of the engine with runs of transformers: it reads {@code <float32|float16> <batch> [new tokens]} lines from
 * stdin and
 * answers each with one {@code run <type> <batch> <prefill seconds> <decode tokens/s> <vision seconds>} line.
 *
 * <p>{@code --constraint} also decodes every batch under that output constraint (over the Llama-2 vocabulary of the
 * demo checkpoint), alternating with the unconstrained runs, and prints the per-step overhead of the masks: the
 * best of the repeats (masks cached) and the first run (masks computed as states are first visited). {@code json}
 * is a caption-and-tags schema whose strings never force an end, so every row decodes all its tokens. It is not
 * used by {@code --serve}.
 */
public final class EngineBenchmark {

    private static final int PROMPT_TOKENS = 28;
    private static final int NEW_TOKENS = 32;

    /** Set once from {@code --prefill-tokens}. */
    private static int prefillTokensPerPass = LlavaEngine.Options.DEFAULT_PREFILL_TOKENS_PER_PASS;

    private EngineBenchmark() {}

    public static void main(String[] args) throws IOException {
        List<DataType> types = new ArrayList<>();
        int[] batches = {1, 4, 16};
        int repeats = 3;
        Path modelDir = null;
        boolean serve = false;
        OutputConstraint constraint = null;
        Path profile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "float32" -> types.add(DataType.FLOAT32);
                case "float16" -> types.add(DataType.FLOAT16);
                case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--model" -> modelDir = Path.of(args[++i]);
                case "--serve" -> serve = true;
                case "--constraint" -> constraint = constraint(args[++i]);
                case "--profile" -> profile = Path.of(args[++i]);
                case "--prefill-tokens" -> prefillTokensPerPass = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (types.isEmpty()) {
            types = List.of(DataType.FLOAT32, DataType.FLOAT16);
        }
        System.out.printf(Locale.ROOT, "threads: %d available processors%n", Runtime.getRuntime().availableProcessors());
        if (serve) {
            serve(modelDir);
            return;
        }
        if (profile != null) {
            profile(modelDir, types.get(0), batches[0], profile);
            return;
        }
        TokenAutomaton.Vocabulary vocabulary = constraint == null ? null : demoVocabulary();
        for (DataType type : types) {
            try (LlavaModel model = model(modelDir, type)) {
                System.out.printf(Locale.ROOT, "%s: %.1fM parameters%n", type, parameterCount(model.config()) / 1e6);
                run(model, 1, 1, null); // warm-up: first-use costs of the native library
                for (int batch : batches) {
                    double bestPrefill = Double.MAX_VALUE;
                    double bestDecode = 0;
                    double bestVision = Double.MAX_VALUE;
                    TokenAutomaton automaton = constraint == null ? null : new TokenAutomaton(constraint, vocabulary);
                    double firstConstrained = 0;
                    double bestConstrained = 0;
                    for (int r = 0; r < repeats; r++) {
                        double[] result = run(model, batch, NEW_TOKENS, null);
                        bestPrefill = Math.min(bestPrefill, result[0]);
                        bestDecode = Math.max(bestDecode, result[1]);
                        bestVision = Math.min(bestVision, visionSeconds(model, batch));
                        if (automaton != null) {
                            double decode = run(model, batch, NEW_TOKENS, automaton)[1];
                            firstConstrained = r == 0 ? decode : firstConstrained;
                            bestConstrained = Math.max(bestConstrained, decode);
                        }
                    }
                    System.out.printf(Locale.ROOT,
                            "%s batch %2d: prefill %.3f s (of which CLIP + projector %.3f s), decode %.1f tokens/s"
                                    + " (%.1f ms/step)%n",
                            type, batch, bestPrefill, bestVision, bestDecode, 1000.0 * batch / bestDecode);
                    if (automaton != null) {
                        double free = 1000.0 * batch / bestDecode;
                        double masked = 1000.0 * batch / bestConstrained;
                        double cold = 1000.0 * batch / firstConstrained;
                        System.out.printf(Locale.ROOT,
                                "%s batch %2d constrained: decode %.1f tokens/s (%.1f ms/step), overhead %+.1f %% per "
                                        + "step; first run %.1f ms/step (%+.1f %%, masks of %d states computed)%n",
                                type, batch, bestConstrained, masked, 100 * (masked / free - 1), cold,
                                100 * (cold / free - 1), automaton.cachedStates());
                    }
                }
            }
        }
    }

    private static LlavaModel model(Path modelDir, DataType type) {
        if (modelDir != null) {
            return LlavaModel.load(modelDir, null, type);
        }
        LlavaConfig config = config();
        return LlavaModel.build(config, RandomWeights.of(config, 0), type);
    }

    /**
     * PyTorch's profiler over one prefill and the four decode steps after it (after a warm-up run of the same
     * batch): two Chrome traces ({@code <trace>-prefill.json}, {@code <trace>-decode.json}) with every operator and
     * its time, for comparing with {@code torch.profiler} on the transformers side.
     */
    private static void profile(Path modelDir, DataType type, int batch, Path trace) {
        try (LlavaModel model = model(modelDir, type)) {
            run(model, batch, 1, null);
            try (GenerationBatch generation = new GenerationBatch(model, TokenListener.NONE, prefillTokensPerPass)) {
                JniUtils.startProfile(false, true, false);
                generation.add(rows(model, batch, 5, null));
                JniUtils.stopProfile(trace + "-prefill.json");
                JniUtils.startProfile(false, true, false);
                for (int step = 0; step < 4; step++) {
                    generation.step();
                }
                JniUtils.stopProfile(trace + "-decode.json");
            }
            System.out.printf(Locale.ROOT, "%s batch %d: profiled into %s-prefill.json and %s-decode.json%n", type,
                    batch, trace, trace);
        }
    }

    /** One run per stdin line {@code <type> <batch>}, each model loaded (and warmed up) on first use. */
    private static void serve(Path modelDir) throws IOException {
        Map<DataType, LlavaModel> models = new EnumMap<>(DataType.class);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            System.out.println("ready");
            System.out.flush();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] words = line.trim().split("\\s+");
                DataType type = switch (words[0]) {
                    case "float32" -> DataType.FLOAT32;
                    case "float16" -> DataType.FLOAT16;
                    default -> throw new IllegalArgumentException("unknown type " + words[0]);
                };
                int batch = Integer.parseInt(words[1]);
                int newTokens = words.length > 2 ? Integer.parseInt(words[2]) : NEW_TOKENS;
                LlavaModel model = models.computeIfAbsent(type, t -> {
                    LlavaModel loaded = model(modelDir, t);
                    run(loaded, 1, 1, null);
                    return loaded;
                });
                double[] result = run(model, batch, newTokens, null);
                double vision = visionSeconds(model, batch);
                System.out.printf(Locale.ROOT, "run %s %d %.4f %.2f %.4f%n", words[0], batch, result[0], result[1],
                        vision);
                System.out.flush();
            }
        } finally {
            models.values().forEach(LlavaModel::close);
        }
    }

    /** @return prefill seconds (vision, projector, prompt forward, first token) and decode tokens per second */
    private static double[] run(LlavaModel model, int batch, int newTokens, TokenAutomaton constraint) {
        List<Sequence> rows = rows(model, batch, newTokens, constraint);
        try (GenerationBatch generation = new GenerationBatch(model, TokenListener.NONE, prefillTokensPerPass)) {
            long start = System.nanoTime();
            generation.add(rows);
            long prefilled = System.nanoTime();
            int steps = 0;
            while (!generation.isEmpty()) {
                generation.step();
                steps++;
            }
            long done = System.nanoTime();
            return new double[] {(prefilled - start) / 1e9, (double) steps * batch / ((done - prefilled) / 1e9)};
        }
    }

    /** {@code batch} rows of one random image and a 28-token prompt each, greedy, {@code newTokens} each. */
    private static List<Sequence> rows(LlavaModel model, int batch, int newTokens, TokenAutomaton constraint) {
        List<Sequence> rows = new ArrayList<>();
        SamplingParams params = SamplingParams.greedy(newTokens).withMinNewTokens(newTokens);
        SplittableRandom random = new SplittableRandom(11);
        int features = model.config().featuresPerTile();
        for (int r = 0; r < batch; r++) {
            int[] ids = new int[PROMPT_TOKENS - 1 + features];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i >= 5 && i < 5 + features ? model.config().imageTokenId() : 3 + random.nextInt(30000);
            }
            ids[0] = 1;
            rows.add(new Sequence(r, ids, List.of(image(model.config().vision(), random)), params, constraint));
        }
        return rows;
    }

    private static final String CAPTION_SCHEMA = "{\"type\":\"object\",\"properties\":{\"caption\":{\"type\":\"string\"},"
            + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"caption\",\"tags\"],"
            + "\"additionalProperties\":false}";

    private static OutputConstraint constraint(String spec) {
        try {
            if (spec.equals("json")) {
                return OutputConstraint.jsonSchema(new ObjectMapper().readTree(CAPTION_SCHEMA));
            }
            if (spec.startsWith("json:")) {
                return OutputConstraint.jsonSchema(new ObjectMapper().readTree(spec.substring(5)));
            }
            if (spec.startsWith("regex:")) {
                return OutputConstraint.regex(spec.substring(6));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalArgumentException("--constraint takes json, regex:PATTERN or json:SCHEMA");
    }

    /** The demo checkpoint's Llama-2 tokenizer (vocabulary 32000 + added tokens, within the model's 32064). */
    private static TokenAutomaton.Vocabulary demoVocabulary() {
        try (InputStream in = EngineBenchmark.class.getResourceAsStream("/io/kaption/engine/demo/tokenizer.json")) {
            Path dir = Files.createTempDirectory("kaption-bench-tokenizer");
            Path file = dir.resolve("tokenizer.json");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            TokenAutomaton.Vocabulary vocabulary = TokenAutomaton.Vocabulary.of(Detokenizer.load(file));
            Files.delete(file);
            Files.delete(dir);
            return vocabulary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image part of a prefill alone: CLIP tower and projector for {@code batch} images. */
    private static double visionSeconds(LlavaModel model, int batch) {
        SplittableRandom random = new SplittableRandom(11);
        List<PixelValues> images = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            images.add(image(model.config().vision(), random));
        }
        try (NDManager scope = model.manager().newSubManager()) {
            long start = System.nanoTime();
            model.imageFeatures(images, scope).get(batch - 1).toType(DataType.FLOAT32, false).toFloatArray();
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static PixelValues image(VisionConfig vision, SplittableRandom random) {
        int size = vision.imageSize();
        float[] data = new float[3 * size * size];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return new PixelValues(data, 1, size, size, size, 0, 0);
    }

    /** The ≈154.5M-parameter benchmark shape (also written as a checkpoint by {@code bin/kaption bench job --realistic}). */
    public static LlavaConfig config() {
        VisionConfig vision = new VisionConfig(224, 14, 3, 512, 2048, 6, 8, 1e-5);
        TextConfig text = new TextConfig("llama", 768, 2048, 12, 12, 12, 64, 10000.0, 1e-5, 32064, 4096, 0);
        // No EOS can stop the run early: the end id is outside the vocabulary.
        return new LlavaConfig(CheckpointFormat.HF_LLAVA, text, vision, 32000, -2, false, false, List.of(),
                List.of(-1));
    }

    private static long parameterCount(LlavaConfig config) {
        VisionConfig v = config.vision();
        TextConfig t = config.text();
        long dv = v.hiddenSize();
        long d = t.hiddenSize();
        long visionLayer = 4 * dv * dv + 2 * dv * v.intermediateSize() + 9 * dv + v.intermediateSize();
        long vision = dv * 3 * v.patchSize() * v.patchSize() + (long) (v.patchesPerSide() * v.patchesPerSide() + 2)
                * dv + v.numLayers() * visionLayer;
        long projector = dv * d + d * d + 2 * d;
        long textLayer = 4 * d * d + 3 * d * t.intermediateSize() + 2 * d;
        long text = 2L * t.vocabSize() * d + t.numLayers() * textLayer + d;
        return vision + projector + text;
    }
}
