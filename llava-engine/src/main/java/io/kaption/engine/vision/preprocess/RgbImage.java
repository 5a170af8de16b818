package io.kaption.engine.vision.preprocess;

/**
 * An 8-bit RGB image, the equivalent of a PIL image in mode "RGB".
 *
 * @param width  columns
 * @param height rows
 * @param pixels interleaved samples, row-major: {@code pixels[(y * width + x) * 3 + c]} with c = 0 red, 1 green, 2 blue
 */
public record RgbImage(int width, int height, byte[] pixels) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image must not be empty, got " + width + "x" + height);
        }
        if (pixels.length != (long) width * height * 3) {
            throw new IllegalArgumentException(
                    "RGB image " + width + "x" + height + " needs " + (long) width * height * 3 + " bytes, got "
                            + pixels.length);
        }
    }

    /** A {@code width x height} image with every pixel set to {@code (r, g, b)}. */
    public static RgbImage filled(int width, int height, int r, int g, int b) {
        byte[] pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.length; i += 3) {
            pixels[i] = (byte) r;
            pixels[i + 1] = (byte) g;
            pixels[i + 2] = (byte) b;
        }
        return new RgbImage(width, height, pixels);
    }

    /** Sample {@code c} of pixel (x, y), 0..255. */
    public int sample(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }

    /** The {@code w x h} region whose top-left corner is (x, y); it must lie inside this image. */
    public RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + x + "+" + y + " outside " + width + "x" + height);
        }
        byte[] out = new byte[w * h * 3];
        for (int row = 0; row < h; row++) {
            System.arraycopy(pixels, ((y + row) * width + x) * 3, out, row * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Copies {@code this} onto a copy of {@code canvas} with its top-left corner at (x, y), clipping what falls
     * outside, like {@code PIL.Image.paste}.
     */
    public RgbImage pasteOnto(RgbImage canvas, int x, int y) {
        byte[] out = canvas.pixels.clone();
        int x0 = Math.max(0, x);
        int x1 = Math.min(canvas.width, x + width);
        if (x1 <= x0) {
            return new RgbImage(canvas.width, canvas.height, out);
        }
        for (int row = Math.max(0, y); row < Math.min(canvas.height, y + height); row++) {
            System.arraycopy(pixels, ((row - y) * width + (x0 - x)) * 3, out, (row * canvas.width + x0) * 3, (x1 - x0) * 3);
        }
        return new RgbImage(canvas.width, canvas.height, out);
    }
}
