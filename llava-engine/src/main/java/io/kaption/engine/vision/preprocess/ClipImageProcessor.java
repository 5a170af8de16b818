package io.kaption.engine.vision.preprocess;

import io.kaption.engine.vision.PixelValues;

/**
 * LLaVA-1.5 preprocessing: one CLIP-processed image, optionally first pasted centred on a square canvas filled with
 * {@code int(mean·255)} (original LLaVA's {@code image_aspect_ratio="pad"}, transformers'
 * {@code LlavaImageProcessor(do_pad=True)}).
 */
final class ClipImageProcessor implements ImageProcessor {

    private final ClipSettings clip;
    private final boolean padToSquare;
    private final int tokens;

    /**
     * @param keepCls true for vision_feature_select_strategy "full" (the CLS feature is kept), false for "default"
     */
    ClipImageProcessor(ClipSettings clip, boolean padToSquare, int patchSize, boolean keepCls) {
        int side = clip.outputSize() / patchSize;
        if (side * patchSize != clip.outputSize()) {
            throw new IllegalArgumentException(
                    "image size " + clip.outputSize() + " is not a multiple of the patch size " + patchSize);
        }
        this.clip = clip;
        this.padToSquare = padToSquare;
        this.tokens = side * side + (keepCls ? 1 : 0);
    }

    @Override
    public PixelValues process(RgbImage image) {
        RgbImage input = padToSquare ? padToSquare(image, clip.meanColour()) : image;
        return new PixelValues(clip.process(input), 1, clip.outputSize(), image.height(), image.width(), 0, 0);
    }

    @Override
    public int imageTokenCount(int height, int width) {
        return tokens;
    }

    static RgbImage padToSquare(RgbImage image, int[] fill) {
        int side = Math.max(image.width(), image.height());
        if (image.width() == image.height()) {
            return image;
        }
        RgbImage canvas = RgbImage.filled(side, side, fill[0], fill[1], fill[2]);
        return image.pasteOnto(canvas, (side - image.width()) / 2, (side - image.height()) / 2);
    }

    @Override
    public String toString() {
        return "ClipImageProcessor[size=" + clip.outputSize() + ", padToSquare=" + padToSquare + ", tokens=" + tokens + "]";
    }
}
