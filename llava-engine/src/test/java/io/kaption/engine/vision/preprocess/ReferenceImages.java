package io.kaption.engine.vision.preprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Pillow-made reference images of {@code src/test/resources/preprocess} (see make_images.py there). */
final class ReferenceImages {

    private ReferenceImages() {
    }

    static Path dir() {
        try {
            return Path.of(ReferenceImages.class.getResource("/preprocess/make_images.py").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(dir().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What Pillow's {@code exif_transpose(open(name)).convert("RGB")} returned, saved as an 8-bit RGB PNG. */
    static RgbImage expectedRgb(String name) {
        return ImageDecoder.decode(bytes(name.substring(0, name.lastIndexOf('.')) + ".expected.png"));
    }
}
