package io.kaption.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.prompt.ConversationFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kaption generate}: LLaVA on local images. One image and prompt (the answer streams to stdout), or a JSONL
 * file of Takeoff requests (one JSON result line per request, in input order). Logs go to stderr.
 */
@Command(name = "kaption generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a LLaVA checkpoint on local images. Sampling flags are Takeoff's fields; with "
                + "--requests they are the defaults of every line.",
                "  --image FILE --prompt TEXT: prints the answer (chat template applied) as it is generated.",
                "  --requests FILE.jsonl: one Takeoff json_data object per line, plus \"id\" and \"image_paths\" "
                        + "(relative to the file), or \"messages\" in OpenAI's chat shape instead of text (image "
                        + "parts' url: a data: URL or a file relative to the file); prints one JSON line per request, "
                        + "in input order."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:it ran (in --requests mode, even if some lines failed)",
                "1:the model could not be loaded, or the single request failed", "2:usage error"})
public final class GenerateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lines preprocessed and submitted together: enough for rows to join as others finish, bounded memory. */
    private static final int LINES_PER_BATCH_SIZE = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "checkpoint directory")
    Path model;

    @Option(names = "--image", paramLabel = "FILE", description = "image file (omit for a text-only prompt)")
    Path image;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "question, wrapped in the chat template")
    String prompt;

    @Option(names = "--text", paramLabel = "TEXT",
            description = "verbatim prompt, no template (<image> marks the image, else it follows BOS)")
    String text;

    @Option(names = "--requests", paramLabel = "FILE", description = "JSONL file of requests")
    Path requests;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "rows decoded together (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "float32|float16",
            description = "compute precision (default ${DEFAULT-VALUE}; float16 for GPUs)")
    LlavaEngine.Precision dtype;

    @Option(names = "--vision-tower", paramLabel = "DIR",
            description = "local CLIP directory for original (liuhaotian) checkpoints")
    Path visionTower;

    @Option(names = "--conversation-format", paramLabel = "llava_v1|mistral_instruct",
            description = "use this LLaVA conversation format instead of the checkpoint's chat template")
    ConversationFormat conversationFormat;

    @Option(names = "--lora-dir", paramLabel = "DIR", defaultValue = "${env:KAPTION_LORA_DIR}",
            description = "directory of PEFT LoRA adapters that lora_id names (default: $KAPTION_LORA_DIR)")
    Path loraDir;

    @Option(names = "--lora-max-loaded", paramLabel = "N", defaultValue = "${env:KAPTION_LORA_MAX_LOADED:-8}",
            description = "LoRA adapters kept loaded (default ${DEFAULT-VALUE}, $KAPTION_LORA_MAX_LOADED)")
    int loraMaxLoaded;

    @Option(names = "--max-new-tokens", defaultValue = "128", paramLabel = "N", description = "default ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--min-new-tokens", defaultValue = "0", paramLabel = "N",
            description = "EOS is suppressed before N tokens (default ${DEFAULT-VALUE})")
    int minNewTokens;

    @Option(names = "--sampling-temperature", defaultValue = "1.0", paramLabel = "T", description = "default ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--sampling-topk", defaultValue = "1", paramLabel = "K",
            description = "1 = greedy (default), 0 = no limit")
    int topK;

    @Option(names = "--sampling-topp", defaultValue = "1.0", paramLabel = "P", description = "default ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", paramLabel = "X", description = "1.0 = off (default)")
    double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", defaultValue = "0", paramLabel = "N", description = "0 = off (default)")
    int noRepeatNgramSize;

    @Option(names = "--prompt-max-tokens", defaultValue = "0", paramLabel = "N",
            description = "truncate longer prompts, dropping the earliest text tokens (0 = no limit)")
    int promptMaxTokens;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "seed of the sampling random stream")
    long seed;

    public static void main(String[] args) {
        // Before any logger exists: results own stdout, so the CLI's logback configuration logs to stderr.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "kaption-cli-logback.xml");
        }
        System.setProperty("ai.djl.offline", "true");
        CommandLine commandLine = commandLine();
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        System.exit(commandLine.execute(args));
    }

    /** The command as picocli runs it ({@code float16}, {@code llava_v1}… accepted in any case). */
    public static CommandLine commandLine() {
        return new CommandLine(new GenerateCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public Integer call() throws IOException {
        SamplingParams params = samplingParams();
        if (batchSize < 1) {
            throw usage("--batch-size must be at least 1");
        }
        if (requests != null) {
            if (image != null || prompt != null || text != null) {
                throw usage("--requests cannot be combined with --image, --prompt or --text");
            }
            if (!Files.isRegularFile(requests)) {
                throw usage("--requests file not found: " + requests);
            }
        } else if ((prompt == null) == (text == null)) {
            throw usage("give --prompt TEXT or --text TEXT (with an optional --image FILE), or --requests FILE");
        }
        if (loraDir != null && !Files.isDirectory(loraDir)) {
            throw usage("--lora-dir is not a directory: " + loraDir);
        }
        if (loraMaxLoaded < 1) {
            throw usage("--lora-max-loaded must be at least 1");
        }
        byte[] imageBytes = null;
        if (image != null) {
            if (!Files.isRegularFile(image)) {
                throw usage("--image file not found: " + image);
            }
            imageBytes = Files.readAllBytes(image);
        }
        LlavaPipeline pipeline;
        try {
            pipeline = LlavaPipeline.load(model, new LlavaPipeline.Options(dtype, visionTower, batchSize,
                    conversationFormat).withLora(loraDir, loraMaxLoaded));
        } catch (IOException | RuntimeException e) {
            spec.commandLine().getErr().println("kaption generate: cannot load the model in " + model + ": "
                    + e.getMessage());
            return 1;
        }
        try (pipeline) {
            if (requests != null) {
                runRequests(pipeline, params);
                return 0;
            }
            return runSingle(pipeline, new Request(prompt != null ? prompt : text, prompt != null, imageBytes, params));
        }
    }

    private SamplingParams samplingParams() {
        try {
            return new SamplingParams(temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, maxNewTokens,
                    minNewTokens, promptMaxTokens, seed);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().replace('_', '-'));
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private int runSingle(LlavaPipeline pipeline, Request request) {
        PrintWriter out = spec.commandLine().getOut();
        Result result = pipeline.generate(List.of(request), (index, chunk) -> {
            out.print(chunk);
            out.flush();
        }).get(0);
        if (result.error() != null) {
            spec.commandLine().getErr().println("kaption generate: " + result.error());
            return 1;
        }
        out.println();
        out.flush();
        return 0;
    }

    /** Sampling flags given on the command line are the defaults of every line. */
    private void runRequests(LlavaPipeline pipeline, SamplingParams defaults) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path baseDirectory = requests.toAbsolutePath().getParent();
        try (BufferedReader reader = Files.newBufferedReader(requests, StandardCharsets.UTF_8)) {
            List<RequestLine> window = new ArrayList<>();
            int lineNumber = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                window.add(RequestLine.parse(line, lineNumber, baseDirectory, defaults));
                if (window.size() == batchSize * LINES_PER_BATCH_SIZE) {
                    run(pipeline, window, out);
                    window.clear();
                }
            }
            run(pipeline, window, out);
        }
    }

    private static void run(LlavaPipeline pipeline, List<RequestLine> lines, PrintWriter out) {
        List<Request> submitted = new ArrayList<>();
        for (RequestLine line : lines) {
            if (line.error() == null && line.conversation() != null) {
                submitted.add(Request.conversation(line.conversation(), line.images(), line.params(),
                        line.constraint()).withLora(line.loraId()));
            } else if (line.error() == null) {
                line.texts().forEach(t -> submitted.add(new Request(t, null, line.useChatTemplate(), line.images(),
                        line.params(), line.constraint(), line.loraId())));
            }
        }
        long started = System.nanoTime();
        List<Result> results = submitted.isEmpty() ? List.of() : pipeline.generate(submitted, LlavaPipeline.Listener.NONE);
        if (!submitted.isEmpty()) {
            LoggerFactory.getLogger(GenerateCommand.class).info("{} requests of {} lines generated in {} ms",
                    submitted.size(), lines.size(), (System.nanoTime() - started) / 1_000_000);
        }
        int next = 0;
        for (RequestLine line : lines) {
            ObjectNode json = JSON.createObjectNode();
            json.set("id", line.id());
            if (line.error() != null) {
                json.put("error", line.error());
            } else {
                int prompts = line.conversation() != null ? 1 : line.texts().size();
                List<Result> own = results.subList(next, next + prompts);
                next += prompts;
                String error = own.stream().map(Result::error).filter(e -> e != null).findFirst().orElse(null);
                if (error != null) {
                    json.put("error", error);
                } else if (line.textList()) {
                    ArrayNode texts = json.putArray("text");
                    ArrayNode tokenIds = json.putArray("token_ids");
                    ArrayNode promptIds = json.putArray("prompt_token_ids");
                    for (Result r : own) {
                        texts.add(r.text());
                        ints(tokenIds.addArray(), r.tokenIds());
                        ints(promptIds.addArray(), r.promptTokenIds());
                    }
                } else {
                    json.put("text", own.get(0).text());
                    ints(json.putArray("token_ids"), own.get(0).tokenIds());
                    ints(json.putArray("prompt_token_ids"), own.get(0).promptTokenIds());
                }
            }
            out.println(json);
        }
        out.flush();
    }

    private static void ints(ArrayNode array, int[] values) {
        for (int value : values) {
            array.add(value);
        }
    }
}
