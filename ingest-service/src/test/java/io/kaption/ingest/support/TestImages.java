package io.kaption.ingest.support;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/** Real images encoded by ImageIO. */
public final class TestImages {

    private TestImages() {
    }

    /** A flat-colour PNG: a few hundred bytes at most. */
    public static byte[] smallPng(int width, int height) {
        return png(width, height, false);
    }

    /** A PNG of random pixels, which does not compress: about {@code 3 * width * height} bytes. */
    public static byte[] noisyPng(int width, int height) {
        return png(width, height, true);
    }

    private static byte[] png(int width, int height, boolean noise) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(width * 31L + height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, noise ? random.nextInt(0x1000000) : 0x3366cc);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
