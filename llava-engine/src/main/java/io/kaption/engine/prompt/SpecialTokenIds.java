package io.kaption.engine.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Token ids generation needs: BOS, the EOS ids that stop it, and the padding id; {@code -1} where the checkpoint
 * defines none. Read from {@code generation_config.json} first (what {@code generate()} uses), then
 * {@code config.json} (top level, then {@code text_config}), then the token strings of {@code tokenizer_config.json}.
 */
public record SpecialTokenIds(int bos, int[] eos, int pad) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean isEos(long id) {
        return Arrays.stream(eos).anyMatch(e -> e == id);
    }

    public static SpecialTokenIds read(Path modelDir, LlavaTokenizer tokenizer) throws IOException {
        List<JsonNode> sources = new ArrayList<>();
        for (String file : new String[] {"generation_config.json", "config.json"}) {
            Path path = modelDir.resolve(file);
            if (Files.isRegularFile(path)) {
                JsonNode json = JSON.readTree(path.toFile());
                sources.add(json);
                if (json.has("text_config")) {
                    sources.add(json.get("text_config"));
                }
            }
        }
        int bos = first(sources, "bos_token_id", tokenizer, "bos_token")[0];
        int[] eos = first(sources, "eos_token_id", tokenizer, "eos_token");
        int pad = first(sources, "pad_token_id", tokenizer, "pad_token")[0];
        if (eos[0] < 0) {
            throw new IllegalArgumentException(modelDir + " defines no EOS token (eos_token_id)");
        }
        return new SpecialTokenIds(bos, eos, pad);
    }

    private static int[] first(List<JsonNode> sources, String key, LlavaTokenizer tokenizer, String tokenName) {
        for (JsonNode source : sources) {
            JsonNode value = source.path(key);
            if (value.isInt()) {
                return new int[] {value.asInt()};
            }
            if (value.isArray() && !value.isEmpty()) {
                int[] ids = new int[value.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = value.get(i).asInt();
                }
                return ids;
            }
        }
        String token = tokenizer.specialTokens().get(tokenName);
        return new int[] {token == null ? -1 : tokenizer.addedTokenId(token).orElse(-1)};
    }

    @Override
    public String toString() {
        return "SpecialTokenIds[bos=" + bos + ", eos=" + Arrays.toString(eos) + ", pad=" + pad + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecialTokenIds other && bos == other.bos && pad == other.pad && Arrays.equals(eos, other.eos);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * bos + pad) + Arrays.hashCode(eos);
    }
}
