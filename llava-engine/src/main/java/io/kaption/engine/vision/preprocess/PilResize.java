package io.kaption.engine.vision.preprocess;

/**
 * {@code PIL.Image.resize(size, resample)} on 8-bit RGB, ported from Pillow's {@code libImaging/Resample.c} so that
 * results are bit-identical: separable convolution (horizontal pass, then vertical), the kernel widened by the
 * downscale factor (antialiasing), coefficients normalised to sum 1 and turned into 22-bit fixed point, every pass
 * rounded and clipped to uint8. A pass whose size does not change is skipped, as in Pillow.
 */
public final class PilResize {

    /** Pillow's resampling filters, by the integer codes image processors store in {@code "resample"}. */
    public enum Filter {
        LANCZOS(1, 3.0),
        BILINEAR(2, 1.0),
        BICUBIC(3, 2.0),
        BOX(4, 0.5),
        HAMMING(5, 1.0);

        final int code;
        final double support;

        Filter(int code, double support) {
            this.code = code;
            this.support = support;
        }

        /** The filter for a Pillow resample code; NEAREST (0) has no convolution kernel and is not supported. */
        public static Filter ofPilCode(int code) {
            for (Filter f : values()) {
                if (f.code == code) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unsupported PIL resample filter " + code
                    + " (supported: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING)");
        }

        double weight(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR:
                    x = Math.abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case HAMMING:
                    x = Math.abs(x);
                    if (x == 0.0) {
                        return 1.0;
                    }
                    if (x >= 1.0) {
                        return 0.0;
                    }
                    x = x * Math.PI;
                    return Math.sin(x) / x * (0.54f + 0.46f * Math.cos(x));
                case BICUBIC: {
                    final double a = -0.5;
                    x = Math.abs(x);
                    if (x < 1.0) {
                        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    }
                    if (x < 2.0) {
                        return (((x - 5) * x + 8) * x - 4) * a;
                    }
                    return 0.0;
                }
                case LANCZOS:
                    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
                default:
                    throw new AssertionError(this);
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {
    }

    /** {@code image.resize((width, height), filter)} for the whole image (no box). */
    public static RgbImage resize(RgbImage in, int width, int height, Filter filter) {
        return resizeWindow(in, width, height, filter, 0, 0, width, height);
    }

    /**
     * {@code image.resize((width, height), filter).crop((left, top, left + windowWidth, top + windowHeight))} with the
     * window inside the resized image, computing only the window's pixels: each output pixel depends on its own
     * position alone, so the result is the same bit for bit (a centre crop after a shortest-edge resize drops a
     * quarter of a 4:3 photo's columns).
     */
    public static RgbImage resizeWindow(RgbImage in, int width, int height, Filter filter, int left, int top,
            int windowWidth, int windowHeight) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("cannot resize to " + width + "x" + height);
        }
        if (left < 0 || top < 0 || windowWidth <= 0 || windowHeight <= 0 || left + windowWidth > width
                || top + windowHeight > height) {
            throw new IllegalArgumentException("window " + windowWidth + "x" + windowHeight + " at (" + left + ", "
                    + top + ") is not inside " + width + "x" + height);
        }
        boolean horizontal = width != in.width();
        boolean vertical = height != in.height();
        // Rows of the source the vertical pass reads (all of the window's rows when that pass is skipped).
        Coefficients vert = vertical ? Coefficients.of(in.height(), height, filter) : null;
        int firstRow = vertical ? vert.bounds[top * 2] : top;
        int endRow = vertical ? vert.bounds[(top + windowHeight - 1) * 2] + vert.bounds[(top + windowHeight - 1) * 2 + 1]
                : top + windowHeight;
        RgbImage rows = horizontal
                ? horizontalPass(in, firstRow, endRow - firstRow, Coefficients.of(in.width(), width, filter), left,
                        windowWidth)
                : in.crop(left, firstRow, windowWidth, endRow - firstRow);
        return vertical ? verticalPass(rows, vert, firstRow, top, windowHeight) : rows;
    }

    /** Output columns {@code [firstCol, firstCol + cols)} of source rows {@code [firstRow, firstRow + rows)}. */
    private static RgbImage horizontalPass(RgbImage in, int firstRow, int rows, Coefficients c, int firstCol, int cols) {
        int inW = in.width();
        byte[] src = in.pixels();
        byte[] out = new byte[cols * rows * 3];
        for (int y = 0; y < rows; y++) {
            int rowBase = (y + firstRow) * inW * 3;
            for (int x = 0; x < cols; x++) {
                int min = c.bounds[(firstCol + x) * 2];
                int count = c.bounds[(firstCol + x) * 2 + 1];
                int k = (firstCol + x) * c.ksize;
                int s0 = 1 << (PRECISION_BITS - 1);
                int s1 = s0;
                int s2 = s0;
                for (int i = 0; i < count; i++) {
                    int p = rowBase + (min + i) * 3;
                    int w = c.fixed[k + i];
                    s0 += (src[p] & 0xFF) * w;
                    s1 += (src[p + 1] & 0xFF) * w;
                    s2 += (src[p + 2] & 0xFF) * w;
                }
                int o = (y * cols + x) * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return new RgbImage(cols, rows, out);
    }

    /**
     * Output rows {@code [firstOut, firstOut + rows)}; {@code in} holds the source rows from {@code inFirstRow} on.
     */
    private static RgbImage verticalPass(RgbImage in, Coefficients c, int inFirstRow, int firstOut, int rows) {
        int w = in.width();
        byte[] src = in.pixels();
        byte[] out = new byte[w * rows * 3];
        for (int y = 0; y < rows; y++) {
            int min = c.bounds[(firstOut + y) * 2] - inFirstRow;
            int count = c.bounds[(firstOut + y) * 2 + 1];
            int k = (firstOut + y) * c.ksize;
            for (int x = 0; x < w; x++) {
                int s0 = 1 << (PRECISION_BITS - 1);
                int s1 = s0;
                int s2 = s0;
                for (int i = 0; i < count; i++) {
                    int p = ((min + i) * w + x) * 3;
                    int wt = c.fixed[k + i];
                    s0 += (src[p] & 0xFF) * wt;
                    s1 += (src[p + 1] & 0xFF) * wt;
                    s2 += (src[p + 2] & 0xFF) * wt;
                }
                int o = (y * w + x) * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return new RgbImage(w, rows, out);
    }

    private static byte clip8(int accumulator) {
        int v = accumulator >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** {@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}, for the box (0, inSize). */
    private static final class Coefficients {
        final int outSize;
        final int ksize;
        final int[] bounds;
        final int[] fixed;

        private Coefficients(int outSize, int ksize, int[] bounds, int[] fixed) {
            this.outSize = outSize;
            this.ksize = ksize;
            this.bounds = bounds;
            this.fixed = fixed;
        }

        static Coefficients of(int inSize, int outSize, Filter filter) {
            float in0 = 0f;
            float in1 = inSize;
            double scale = (double) (in1 - in0) / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] fixed = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = in0 + (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = filter.weight((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    fixed[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[xx * 2] = xmin;
                bounds[xx * 2 + 1] = xmax;
            }
            return new Coefficients(outSize, ksize, bounds, fixed);
        }
    }
}
