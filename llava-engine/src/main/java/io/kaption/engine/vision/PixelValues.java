package io.kaption.engine.vision;

/**
 * One preprocessed image, ready for the vision tower: the hand-over between preprocessing and the model.
 *
 * @param data           float32 pixel values in C order {@code [patches, 3, size, size]}, already normalised
 * @param patches        1 for LLaVA-1.5; for LLaVA-NeXT anyres 1 base image + {@code gridRows * gridCols} tiles
 * @param size           side of every patch in pixels (the CLIP input size)
 * @param originalHeight height of the decoded image before any resize, needed by anyres unpadding
 * @param originalWidth  width of the decoded image before any resize
 * @param gridRows       anyres tile rows (best resolution height / size); 0 without anyres
 * @param gridCols       anyres tile columns (best resolution width / size); 0 without anyres
 */
public record PixelValues(
        float[] data, int patches, int size, int originalHeight, int originalWidth, int gridRows, int gridCols) {

    public PixelValues {
        if (data.length != (long) patches * 3 * size * size) {
            throw new IllegalArgumentException("pixel data has " + data.length + " values, expected "
                    + patches + "x3x" + size + "x" + size);
        }
        if (gridRows * gridCols != 0 && patches != 1 + gridRows * gridCols) {
            throw new IllegalArgumentException(
                    "anyres grid " + gridRows + "x" + gridCols + " needs " + (1 + gridRows * gridCols) + " patches");
        }
    }

    public boolean isAnyres() {
        return gridRows * gridCols != 0;
    }
}
