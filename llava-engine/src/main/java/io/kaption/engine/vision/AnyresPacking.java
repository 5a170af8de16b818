package io.kaption.engine.vision;

import ai.djl.ndarray.NDArray;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * LLaVA-NeXT feature packing: the tiles' features are reassembled into one grid, the rows (or columns) that only
 * cover letterbox padding are cut away, {@code image_newline} ends every row, and the base image's features come
 * first.
 */
public final class AnyresPacking {

    /** Rows and columns of the unpadded feature grid. */
    public record Grid(int rows, int cols) {}

    private AnyresPacking() {}

    /** Number of feature rows an anyres image contributes: base tile + rows·(cols + 1). */
    public static int featureCount(PixelValues pixels, int patchesPerSide) {
        Grid grid = unpaddedGrid(pixels, patchesPerSide);
        return patchesPerSide * patchesPerSide + grid.rows * (grid.cols + 1);
    }

    /**
     * @param features projected features of one image {@code [1 + tiles, s², D]} (base first, tiles row-major)
     * @param newline  {@code image_newline} {@code [D]}
     * @return packed features {@code [s² + rows·(cols+1), D]}
     */
    public static NDArray pack(NDArray features, PixelValues pixels, int patchesPerSide, NDArray newline) {
        int s = patchesPerSide;
        long dim = features.getShape().get(2);
        NDArray base = features.get(0);
        NDArray grid = features.get("1:").reshape(pixels.gridRows(), pixels.gridCols(), s, s, dim)
                .transpose(0, 2, 1, 3, 4)
                .reshape((long) pixels.gridRows() * s, (long) pixels.gridCols() * s, dim);
        int fullRows = pixels.gridRows() * s;
        int fullCols = pixels.gridCols() * s;
        Grid kept = unpaddedGrid(pixels, s);
        int rowPad = (fullRows - kept.rows) / 2;
        int colPad = (fullCols - kept.cols) / 2;
        grid = grid.get("{}:{}, {}:{}", rowPad, rowPad + kept.rows, colPad, colPad + kept.cols);
        NDArray newlines = grid.get(":, 0:1, :").zerosLike().add(newline);
        NDArray rows = grid.concat(newlines, 1).reshape(-1, dim);
        return base.concat(rows, 0);
    }

    /** transformers' {@code unpad_image} arithmetic on the feature grid, Python rounding included. */
    static Grid unpaddedGrid(PixelValues pixels, int patchesPerSide) {
        int height = pixels.gridRows() * patchesPerSide;
        int width = pixels.gridCols() * patchesPerSide;
        int originalHeight = pixels.originalHeight();
        int originalWidth = pixels.originalWidth();
        double originalAspect = (double) originalWidth / originalHeight;
        double currentAspect = (double) width / height;
        if (originalAspect > currentAspect) {
            double scale = (double) width / originalWidth;
            int newHeight = roundTo7Digits(originalHeight * scale);
            int padding = (height - newHeight) / 2;
            return new Grid(height - 2 * padding, width);
        }
        double scale = (double) height / originalHeight;
        int newWidth = roundTo7Digits(originalWidth * scale);
        int padding = (width - newWidth) / 2;
        return new Grid(height, width - 2 * padding);
    }

    /** Python's {@code int(round(x, 7))}: correctly rounded (half-even on the exact binary value), truncated. */
    private static int roundTo7Digits(double x) {
        return new BigDecimal(x).setScale(7, RoundingMode.HALF_EVEN).intValue();
    }
}
