package io.kaption.images.inspect;

/** What admission found out about an image: its real format and its size in pixels. */
public record InspectedImage(ImageFormat format, int width, int height) {
}
