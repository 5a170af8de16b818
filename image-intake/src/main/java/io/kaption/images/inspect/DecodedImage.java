package io.kaption.images.inspect;

import java.awt.image.BufferedImage;

/** An admitted image together with the pixels its full decode produced, for callers that go on to use them. */
public record DecodedImage(InspectedImage info, BufferedImage pixels) {
}
