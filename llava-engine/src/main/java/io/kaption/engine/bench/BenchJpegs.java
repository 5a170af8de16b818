package io.kaption.engine.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** The benchmarks' images: JPEGs of noisy gradients (photo-sized files, unlike flat colour), the same on every run. */
public final class BenchJpegs {

    private static final Pattern SIZE = Pattern.compile("([1-9]\\d{0,4})x([1-9]\\d{0,4})");

    private BenchJpegs() {
    }

    /** {@code count} JPEGs of {@code size} ("WxH"). */
    public static List<byte[]> noisyGradients(String size, int count) throws IOException {
        Matcher dimensions = SIZE.matcher(size);
        if (!dimensions.matches()) {
            throw new IllegalArgumentException("an image size is WIDTHxHEIGHT, e.g. 640x480; got \"" + size + "\"");
        }
        int width = Integer.parseInt(dimensions.group(1));
        int height = Integer.parseInt(dimensions.group(2));
        Random random = new Random(42);
        List<byte[]> jpegs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            int base = random.nextInt(0xFFFFFF);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    image.setRGB(x, y, base ^ (x * 3) << 16 ^ (y * 5) << 8 ^ random.nextInt(16));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "jpeg", out);
            jpegs.add(out.toByteArray());
        }
        return jpegs;
    }
}
