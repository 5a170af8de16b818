package io.kaption.worker.images;

import io.kaption.engine.vision.preprocess.RgbImage;

/**
 * An admitted image: its encoded bytes, and its pixels as the engine takes them (decoded once, by admission).
 *
 * @param bytes the encoded image as received
 * @param rgb   what {@link io.kaption.engine.vision.preprocess.ImageDecoder#decode(byte[])} makes of {@code bytes}
 */
public record LoadedImage(byte[] bytes, RgbImage rgb) {
}
