package io.kaption.images.fetch;

import io.kaption.images.inspect.ImageFormat;

import java.net.URI;

/**
 * The body of a successful remote fetch.
 *
 * @param url         where the bytes came from, after redirects
 * @param contentType the media type the server declared ({@code image/*})
 * @param format      the format the leading bytes show, which may differ from {@code contentType}
 * @param bytes       the encoded image, at most the configured byte cap
 */
public record FetchedImage(URI url, String contentType, ImageFormat format, byte[] bytes) {
}
