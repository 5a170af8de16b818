package io.kaption.engine.vision.preprocess;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * LLaVA-NeXT "anyres" geometry as pure functions, shared by preprocessing and the model's feature packing.
 * Resolutions are always {@code {height, width}} here; original-repo configs, which list pinpoints as
 * {@code [width, height]}, are converted when read.
 */
public final class Anyres {

    private Anyres() {
    }

    /**
     * transformers' {@code select_best_resolution}: the pinpoint that keeps the most of the image's resolution
     * ({@code min(int(W·s)·int(H·s), W·H)} with {@code s = min(tw/W, th/H)}), ties broken by the least wasted area,
     * the first pinpoint winning exact ties.
     *
     * @return {@code {height, width}} of the chosen pinpoint
     */
    public static int[] selectBestResolution(int height, int width, List<int[]> pinpoints) {
        int[] best = null;
        long maxEffective = 0;
        long minWasted = Long.MAX_VALUE;
        for (int[] hw : pinpoints) {
            double scale = Math.min((double) hw[1] / width, (double) hw[0] / height);
            long downscaledW = (long) (width * scale);
            long downscaledH = (long) (height * scale);
            long effective = Math.min(downscaledW * downscaledH, (long) width * height);
            long wasted = (long) hw[0] * hw[1] - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted)) {
                maxEffective = effective;
                minWasted = wasted;
                best = hw;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no usable anyres pinpoint for a " + width + "x" + height + " image");
        }
        return new int[] {best[0], best[1]};
    }

    /**
     * Size of the image once resized, keeping its aspect ratio, to fit {@code target} ({@code get_patch_output_size}):
     * the constrained side exactly, the other {@code min(ceil(x·scale), target)}.
     *
     * @return {@code {height, width}}
     */
    public static int[] fitInside(int height, int width, int targetHeight, int targetWidth) {
        double scaleW = (double) targetWidth / width;
        double scaleH = (double) targetHeight / height;
        if (scaleW < scaleH) {
            return new int[] {Math.min((int) Math.ceil(height * scaleW), targetHeight), targetWidth};
        }
        return new int[] {targetHeight, Math.min((int) Math.ceil(width * scaleH), targetWidth)};
    }

    /**
     * Rows and columns of the feature grid that survive unpadding, for an image of {@code height x width} whose tiles
     * form a {@code (gridRows·side) x (gridCols·side)} feature grid ({@code side} = image size / patch size).
     *
     * @param hfRounding true for transformers ({@code int(round(x, 7))}), false for the original LLaVA repository
     *                   ({@code int(x)})
     * @return {@code {rows, cols}}
     */
    public static int[] unpaddedGrid(int height, int width, int gridRows, int gridCols, int side, boolean hfRounding) {
        int rows = gridRows * side;
        int cols = gridCols * side;
        double originalAspect = (double) width / height;
        double currentAspect = (double) cols / rows;
        if (originalAspect > currentAspect) {
            int newHeight = truncate(height * ((double) cols / width), hfRounding);
            rows -= Math.floorDiv(rows - newHeight, 2) * 2;
        } else {
            int newWidth = truncate(width * ((double) rows / height), hfRounding);
            cols -= Math.floorDiv(cols - newWidth, 2) * 2;
        }
        return new int[] {rows, cols};
    }

    /**
     * Image-token positions LLaVA-NeXT fills for one image: the base tile's {@code side²} features, then the
     * unpadded grid with one {@code image_newline} after every row: {@code side² + rows·(cols + 1)}.
     */
    public static int imageTokenCount(int height, int width, int gridRows, int gridCols, int side, boolean hfRounding) {
        int[] grid = unpaddedGrid(height, width, gridRows, gridCols, side, hfRounding);
        return side * side + grid[0] * (grid[1] + 1);
    }

    private static int truncate(double x, boolean roundTo7Digits) {
        // Python's round(x, 7) rounds the exact binary value half-even; BigDecimal(double) is that exact value.
        double v = roundTo7Digits ? new BigDecimal(x).setScale(7, RoundingMode.HALF_EVEN).doubleValue() : x;
        return (int) v;
    }
}
