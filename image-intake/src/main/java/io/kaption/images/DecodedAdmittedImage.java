package io.kaption.images;

import java.awt.image.BufferedImage;

/**
 * An admitted image with the pixels its admission already decoded (ImageIO's reader for its format, image 0, default
 * parameters), for a caller that goes on to use the pixels: decoding the bytes again would cost as much once more.
 *
 * @param image  the admitted image
 * @param pixels what the decoder read
 */
public record DecodedAdmittedImage(AdmittedImage image, BufferedImage pixels) {
}
