package io.kaption.engine.vision;

import ai.djl.ndarray.NDArray;
import io.kaption.engine.vision.preprocess.Anyres;

/**
 * LLaVA-NeXT feature packing: the tiles' features are reassembled into one grid, the rows (or columns) that only
 * cover letterbox padding are cut away, {@code image_newline} ends every row, and the base image's features come
 * first.
 */
public final class AnyresPacking {

    /** Rows and columns of the unpadded feature grid. */
    public record Grid(int rows, int cols) {}

    private AnyresPacking() {}

    /**
     * Number of feature rows an anyres image contributes: base tile + rows·(cols + 1).
     *
     * @param hfRounding true for Hugging Face layouts, false for original LLaVA checkpoints (see {@link #unpaddedGrid})
     */
    public static int featureCount(PixelValues pixels, int patchesPerSide, boolean hfRounding) {
        Grid grid = unpaddedGrid(pixels, patchesPerSide, hfRounding);
        return patchesPerSide * patchesPerSide + grid.rows * (grid.cols + 1);
    }

    /**
     * @param features projected features of one image {@code [1 + tiles, s², D]} (base first, tiles row-major)
     * @param newline  {@code image_newline} {@code [D]}
     * @return packed features {@code [s² + rows·(cols+1), D]}
     */
    public static NDArray pack(NDArray features, PixelValues pixels, int patchesPerSide, boolean hfRounding,
            NDArray newline) {
        int s = patchesPerSide;
        long dim = features.getShape().get(2);
        NDArray base = features.get(0);
        NDArray grid = features.get("1:").reshape(pixels.gridRows(), pixels.gridCols(), s, s, dim)
                .transpose(0, 2, 1, 3, 4)
                .reshape((long) pixels.gridRows() * s, (long) pixels.gridCols() * s, dim);
        int fullRows = pixels.gridRows() * s;
        int fullCols = pixels.gridCols() * s;
        Grid kept = unpaddedGrid(pixels, s, hfRounding);
        int rowPad = (fullRows - kept.rows) / 2;
        int colPad = (fullCols - kept.cols) / 2;
        grid = grid.get("{}:{}, {}:{}", rowPad, rowPad + kept.rows, colPad, colPad + kept.cols);
        NDArray newlines = grid.get(":, 0:1, :").zerosLike().add(newline);
        NDArray rows = grid.concat(newlines, 1).reshape(-1, dim);
        return base.concat(rows, 0);
    }

    /**
     * The unpadded grid, by the same rule the preprocessing counts image tokens with ({@link Anyres#unpaddedGrid}), so
     * prompt expansion and packing always agree: transformers' {@code int(round(x, 7))} for Hugging Face layouts, the
     * LLaVA repository's {@code int(x)} for original checkpoints.
     */
    static Grid unpaddedGrid(PixelValues pixels, int patchesPerSide, boolean hfRounding) {
        int[] grid = Anyres.unpaddedGrid(pixels.originalHeight(), pixels.originalWidth(), pixels.gridRows(),
                pixels.gridCols(), patchesPerSide, hfRounding);
        return new Grid(grid[0], grid[1]);
    }
}
