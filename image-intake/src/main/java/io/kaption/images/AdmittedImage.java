package io.kaption.images;

import io.kaption.images.inspect.ImageFormat;

/**
 * An image that passed intake: the encoded bytes as received, and what inspection found.
 *
 * @param bytes  the encoded image, at most {@link ImageIntakeConfig#maxBytes()}
 * @param format the format sniffed from the bytes
 * @param width  width in pixels
 * @param height height in pixels
 */
public record AdmittedImage(byte[] bytes, ImageFormat format, int width, int height) {
}
