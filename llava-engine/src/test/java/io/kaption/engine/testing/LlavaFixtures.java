package io.kaption.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The golden LLaVA fixtures of {@code src/test/resources/fixtures/llava} (see FORMAT.md there). */
public final class LlavaFixtures {

    public static final List<String> VARIANTS = List.of("llava15-tiny", "llava-mistral-tiny", "llava-next-tiny");

    private LlavaFixtures() {
    }

    public static Path root() {
        URL url = LlavaFixtures.class.getResource("/fixtures/llava/FORMAT.md");
        if (url == null) {
            throw new IllegalStateException("fixtures/llava not on the test classpath");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path variantDir(String variant) {
        return root().resolve(variant);
    }

    public static Path modelDir(String variant) {
        return variantDir(variant).resolve("model");
    }

    public static JsonNode cases(String variant) {
        try {
            return new ObjectMapper().readTree(variantDir(variant).resolve("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static FixtureTensors tensors(String variant) {
        try {
            return FixtureTensors.read(variantDir(variant).resolve("tensors.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every case of every variant whose kind is in {@code kinds}, as (variant, case) pairs. */
    public static Stream<CaseRef> casesOfKind(String... kinds) {
        List<CaseRef> out = new ArrayList<>();
        for (String variant : VARIANTS) {
            for (JsonNode c : cases(variant).get("cases")) {
                if (List.of(kinds).contains(c.get("kind").asText())) {
                    out.add(new CaseRef(variant, c));
                }
            }
        }
        return out.stream();
    }

    /** A case of one variant. */
    public record CaseRef(String variant, JsonNode json) {
        public String id() {
            return json.get("id").asText();
        }

        @Override
        public String toString() {
            return variant + "/" + id();
        }
    }
}
