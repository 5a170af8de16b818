package io.kaption.engine.prompt;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint's {@code tokenizer.json}, run by the Rust {@code tokenizers} library through DJL (the same code
 * transformers' fast tokenizers use), loaded from the local file only. Encoding adds what the file's post-processor
 * adds when asked to (BOS for Llama/Mistral; no EOS); truncation and padding are off. Thread-safe.
 */
public final class LlavaTokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> addedTokens;
    private final Map<String, String> specialTokens;

    private LlavaTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> addedTokens,
            Map<String, String> specialTokens) {
        this.tokenizer = tokenizer;
        this.addedTokens = addedTokens;
        this.specialTokens = specialTokens;
    }

    /** Loads {@code modelDir/tokenizer.json} and the special-token names of {@code tokenizer_config.json}. */
    public static LlavaTokenizer load(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("missing " + file + " (original LLaVA checkpoints ship only "
                    + "tokenizer.model: use the tokenizer.json of the matching llava-hf checkpoint, same vocabulary)");
        }
        Map<String, Integer> added = new HashMap<>();
        for (JsonNode token : JSON.readTree(file.toFile()).path("added_tokens")) {
            added.put(token.get("content").asText(), token.get("id").asInt());
        }
        Map<String, String> special = new HashMap<>();
        Path config = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode json = JSON.readTree(config.toFile());
            for (String name : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
                JsonNode value = json.path(name);
                String content = value.isTextual() ? value.asText() : value.path("content").asText(null);
                if (content != null) {
                    special.put(name, content);
                }
            }
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optAddSpecialTokens(true)
                .optTruncation(false)
                .optPadding(false)
                .build();
        return new LlavaTokenizer(tokenizer, Map.copyOf(added), Map.copyOf(special));
    }

    /** Token ids of {@code text}; special tokens written in the text (e.g. {@code <image>}) become their ids. */
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    /** {@code tokenizer.decode(ids, skip_special_tokens=True)}; ids the tokenizer does not know are skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The id of an added token (such as {@code <image>}), if the tokenizer has one with exactly this content. */
    public Optional<Integer> addedTokenId(String content) {
        return Optional.ofNullable(addedTokens.get(content));
    }

    /**
     * Special-token strings from {@code tokenizer_config.json}, keyed as chat templates name them:
     * {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token} (absent ones are left out).
     */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
