package io.kaption.engine.prompt;

import io.kaption.engine.LlavaFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One loaded tokenizer per fixture variant, shared by the prompt tests (native handles stay open for the JVM). */
final class FixtureTokenizers {

    static {
        // DJL must never reach for the network; offline mode makes any attempt fail instead of downloading.
        System.setProperty("ai.djl.offline", "true");
    }

    private static final Map<String, LlavaTokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private FixtureTokenizers() {
    }

    static LlavaTokenizer of(String variant) {
        return TOKENIZERS.computeIfAbsent(variant, v -> {
            try {
                return LlavaTokenizer.load(LlavaFixture.modelDir(v));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
