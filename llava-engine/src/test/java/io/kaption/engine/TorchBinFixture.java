package io.kaption.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * PyTorch {@code .bin} checkpoints under {@code fixtures/torch-bin} (made from the public fixtures by
 * {@code tools/fixtures/make_torch_bin_fixtures.py}, see the README there).
 */
public final class TorchBinFixture {

    /** liuhaotian layout of llava-mistral-tiny: float32, two shards + index, hub id in mm_vision_tower. */
    public static final String ORIGINAL = "llava-mistral-tiny-original/llava-v1.5";
    /** Its CLIP tower directory: pytorch_model.bin (with an int64 position_ids buffer), config.json. */
    public static final String ORIGINAL_CLIP = "llava-mistral-tiny-original/clip-vit";
    /** llava-next-tiny in the HF layout, one pytorch_model.bin: tower and projector float16, text bfloat16. */
    public static final String MIXED_16BIT = "llava-next-tiny-f16-bf16";

    private TorchBinFixture() {}

    public static Path path(String relative) {
        URL url = TorchBinFixture.class.getResource("/fixtures/torch-bin/" + relative);
        if (url == null) {
            throw new IllegalArgumentException("no fixtures/torch-bin/" + relative + " on the test classpath");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A writable copy of a fixture directory (tests that break or add files). */
    public static Path copy(String relative, Path target) {
        Path source = path(relative);
        try (Stream<Path> files = Files.list(source)) {
            Files.createDirectories(target);
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }
}
