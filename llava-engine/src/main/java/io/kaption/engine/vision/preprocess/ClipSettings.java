package io.kaption.engine.vision.preprocess;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The steps of transformers' (slow, PIL-based) {@code CLIPImageProcessor}, configured from a
 * {@code preprocessor_config.json}: resize (shortest edge, long edge truncated, or an exact height x width), centre
 * crop, rescale in float64 then cast to float32, normalise in float32, channels first.
 */
final class ClipSettings {

    private static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    private final boolean doResize;
    private final int shortestEdge;
    private final int resizeHeight;
    private final int resizeWidth;
    private final PilResize.Filter filter;
    private final boolean doCenterCrop;
    private final int cropHeight;
    private final int cropWidth;
    private final boolean doRescale;
    private final double rescaleFactor;
    private final boolean doNormalize;
    private final double[] mean;
    private final float[] meanF32;
    private final float[] stdF32;

    private ClipSettings(JsonNode json) {
        doResize = json.path("do_resize").asBoolean(true);
        JsonNode size = json.path("size");
        if (size.isInt()) {
            shortestEdge = size.asInt();
            resizeHeight = resizeWidth = 0;
        } else if (size.has("shortest_edge")) {
            shortestEdge = size.get("shortest_edge").asInt();
            resizeHeight = resizeWidth = 0;
        } else if (size.has("height") && size.has("width")) {
            shortestEdge = 0;
            resizeHeight = size.get("height").asInt();
            resizeWidth = size.get("width").asInt();
        } else {
            throw new IllegalArgumentException("preprocessor config: unsupported \"size\" " + size
                    + " (expected {\"shortest_edge\": n} or {\"height\": h, \"width\": w})");
        }
        filter = PilResize.Filter.ofPilCode(json.path("resample").asInt(3));
        doCenterCrop = json.path("do_center_crop").asBoolean(true);
        JsonNode crop = json.path("crop_size");
        if (crop.isInt()) {
            cropHeight = cropWidth = crop.asInt();
        } else if (crop.has("height") && crop.has("width")) {
            cropHeight = crop.get("height").asInt();
            cropWidth = crop.get("width").asInt();
        } else if (!doCenterCrop && shortestEdge == 0) {
            cropHeight = resizeHeight;
            cropWidth = resizeWidth;
        } else {
            throw new IllegalArgumentException("preprocessor config: missing or unsupported \"crop_size\" " + crop);
        }
        doRescale = json.path("do_rescale").asBoolean(true);
        rescaleFactor = json.path("rescale_factor").asDouble(1 / 255.0);
        doNormalize = json.path("do_normalize").asBoolean(true);
        mean = triple(json.path("image_mean"), OPENAI_CLIP_MEAN, "image_mean");
        double[] std = triple(json.path("image_std"), OPENAI_CLIP_STD, "image_std");
        meanF32 = new float[3];
        stdF32 = new float[3];
        for (int c = 0; c < 3; c++) {
            meanF32[c] = (float) mean[c];
            stdF32[c] = (float) std[c];
        }
        if (!doCenterCrop && shortestEdge != 0) {
            throw new IllegalArgumentException(
                    "preprocessor config: shortest-edge resize without centre crop gives non-square images");
        }
        if (cropHeight != cropWidth || cropHeight <= 0) {
            throw new IllegalArgumentException("preprocessor config: crop must be a positive square, got "
                    + cropHeight + "x" + cropWidth);
        }
    }

    static ClipSettings fromJson(JsonNode preprocessorConfig) {
        return new ClipSettings(preprocessorConfig);
    }

    /** Side of the square the vision tower receives. */
    int outputSize() {
        return cropHeight;
    }

    /** Side of the square the LLaVA-NeXT base image is squashed to ({@code size.shortest_edge}). */
    int baseSize() {
        return shortestEdge != 0 ? shortestEdge : Math.min(resizeHeight, resizeWidth);
    }

    PilResize.Filter filter() {
        return filter;
    }

    /** {@code int(mean * 255)} per channel: the fill colour of LLaVA-1.5's pad-to-square. */
    int[] meanColour() {
        return new int[] {(int) (mean[0] * 255), (int) (mean[1] * 255), (int) (mean[2] * 255)};
    }

    /** Resize then centre crop, both on uint8 as transformers does before rescaling. */
    RgbImage resizeAndCrop(RgbImage image) {
        RgbImage resized = image;
        if (doResize) {
            int h;
            int w;
            if (shortestEdge != 0) {
                boolean portrait = image.width() <= image.height();
                int shortSide = portrait ? image.width() : image.height();
                int longSide = portrait ? image.height() : image.width();
                int newLong = (int) ((double) ((long) shortestEdge * longSide) / shortSide);
                w = portrait ? shortestEdge : newLong;
                h = portrait ? newLong : shortestEdge;
            } else {
                h = resizeHeight;
                w = resizeWidth;
            }
            int top = Math.floorDiv(h - cropHeight, 2);
            int left = Math.floorDiv(w - cropWidth, 2);
            if (doCenterCrop && top >= 0 && left >= 0) {
                // The crop inside the resized image: resample only its pixels.
                return PilResize.resizeWindow(image, w, h, filter, left, top, cropWidth, cropHeight);
            }
            resized = PilResize.resize(image, w, h, filter);
        }
        return doCenterCrop ? centerCrop(resized, cropHeight, cropWidth) : resized;
    }

    /** transformers' {@code center_crop}, including its zero padding when the image is smaller than the crop. */
    static RgbImage centerCrop(RgbImage image, int cropH, int cropW) {
        int h = image.height();
        int w = image.width();
        int top = Math.floorDiv(h - cropH, 2);
        int left = Math.floorDiv(w - cropW, 2);
        if (top >= 0 && left >= 0 && top + cropH <= h && left + cropW <= w) {
            return image.crop(left, top, cropW, cropH);
        }
        int newH = Math.max(cropH, h);
        int newW = Math.max(cropW, w);
        int topPad = (newH - h + 1) / 2;
        int leftPad = (newW - w + 1) / 2;
        RgbImage padded = image.pasteOnto(RgbImage.filled(newW, newH, 0, 0, 0), leftPad, topPad);
        int y0 = Math.max(0, top + topPad);
        int x0 = Math.max(0, left + leftPad);
        int y1 = Math.min(newH, top + topPad + cropH);
        int x1 = Math.min(newW, left + leftPad + cropW);
        return padded.crop(x0, y0, x1 - x0, y1 - y0);
    }

    /** Rescale and normalise {@code image} (already {@link #outputSize()} square) into {@code out} as CHW float32. */
    void writeChw(RgbImage image, float[] out, int offset) {
        int plane = image.width() * image.height();
        if (image.width() != cropWidth || image.height() != cropHeight) {
            throw new IllegalStateException("expected a " + cropWidth + "x" + cropHeight + " image, got "
                    + image.width() + "x" + image.height());
        }
        byte[] px = image.pixels();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                int v = px[i * 3 + c] & 0xFF;
                float x = doRescale ? (float) (v * rescaleFactor) : (float) v;
                if (doNormalize) {
                    x = (x - meanF32[c]) / stdF32[c];
                }
                out[offset + c * plane + i] = x;
            }
        }
    }

    /** The full CLIP pipeline for one image. */
    float[] process(RgbImage image) {
        RgbImage ready = resizeAndCrop(image);
        float[] out = new float[3 * cropHeight * cropWidth];
        writeChw(ready, out, 0);
        return out;
    }

    private static double[] triple(JsonNode node, double[] fallback, String name) {
        if (node.isMissingNode() || node.isNull()) {
            return fallback.clone();
        }
        if (!node.isArray() || node.size() != 3) {
            throw new IllegalArgumentException("preprocessor config: \"" + name + "\" must hold 3 numbers, got " + node);
        }
        return new double[] {node.get(0).asDouble(), node.get(1).asDouble(), node.get(2).asDouble()};
    }
}
