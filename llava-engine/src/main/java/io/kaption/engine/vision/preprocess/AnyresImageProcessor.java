package io.kaption.engine.vision.preprocess;

import io.kaption.engine.vision.PixelValues;
import java.util.List;

/**
 * LLaVA-NeXT "anyres" preprocessing: the image is resized (aspect kept) to fit the best pinpoint resolution, pasted
 * centred on a black canvas of that resolution and cut into tiles row-major; the whole image squashed to the base
 * size comes first. Every patch then goes through the CLIP steps.
 */
final class AnyresImageProcessor implements ImageProcessor {

    private final ClipSettings clip;
    private final List<int[]> pinpoints;
    private final int side;
    private final boolean hfRounding;

    /**
     * @param pinpoints  candidate resolutions as {@code {height, width}}, in the config's order
     * @param hfRounding transformers' unpad rounding (true) or the original LLaVA repository's (false)
     */
    AnyresImageProcessor(ClipSettings clip, List<int[]> pinpoints, int patchSize, boolean hfRounding) {
        int size = clip.outputSize();
        if (size % patchSize != 0) {
            throw new IllegalArgumentException("image size " + size + " is not a multiple of the patch size " + patchSize);
        }
        for (int[] hw : pinpoints) {
            if (hw[0] <= 0 || hw[1] <= 0 || hw[0] % size != 0 || hw[1] % size != 0) {
                throw new IllegalArgumentException("anyres pinpoint " + hw[0] + "x" + hw[1]
                        + " is not a positive multiple of the image size " + size);
            }
        }
        if (pinpoints.isEmpty()) {
            throw new IllegalArgumentException("anyres needs at least one image_grid_pinpoints entry");
        }
        this.clip = clip;
        this.pinpoints = List.copyOf(pinpoints);
        this.side = size / patchSize;
        this.hfRounding = hfRounding;
    }

    @Override
    public PixelValues process(RgbImage image) {
        int size = clip.outputSize();
        int[] best = Anyres.selectBestResolution(image.height(), image.width(), pinpoints);
        int[] fitted = Anyres.fitInside(image.height(), image.width(), best[0], best[1]);
        RgbImage resized = PilResize.resize(image, fitted[1], fitted[0], clip.filter());
        RgbImage canvas = resized.pasteOnto(RgbImage.filled(best[1], best[0], 0, 0, 0),
                (best[1] - fitted[1]) / 2, (best[0] - fitted[0]) / 2);
        int rows = best[0] / size;
        int cols = best[1] / size;
        int patchFloats = 3 * size * size;
        float[] data = new float[(1 + rows * cols) * patchFloats];
        RgbImage base = PilResize.resize(image, clip.baseSize(), clip.baseSize(), clip.filter());
        clip.writeChw(clip.resizeAndCrop(base), data, 0);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                RgbImage tile = canvas.crop(c * size, r * size, size, size);
                clip.writeChw(clip.resizeAndCrop(tile), data, (1 + r * cols + c) * patchFloats);
            }
        }
        return new PixelValues(data, 1 + rows * cols, size, image.height(), image.width(), rows, cols);
    }

    @Override
    public int imageTokenCount(int height, int width) {
        int[] best = Anyres.selectBestResolution(height, width, pinpoints);
        int size = clip.outputSize();
        return Anyres.imageTokenCount(height, width, best[0] / size, best[1] / size, side, hfRounding);
    }

    @Override
    public String toString() {
        return "AnyresImageProcessor[size=" + clip.outputSize() + ", pinpoints=" + pinpoints.size()
                + ", hfRounding=" + hfRounding + "]";
    }
}
