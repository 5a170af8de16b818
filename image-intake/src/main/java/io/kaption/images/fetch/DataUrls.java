package io.kaption.images.fetch;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;

import java.util.Base64;
import java.util.Locale;

/** Decodes inline images sent as {@code data:image/<type>[;param=value]*;base64,<payload>} (RFC 2397). */
public final class DataUrls {

    private DataUrls() {
    }

    public static boolean isDataUrl(String url) {
        return url.regionMatches(true, 0, "data:", 0, 5);
    }

    /**
     * The decoded bytes, refused before decoding when they would exceed {@code maxBytes}. Only base64 payloads of an
     * {@code image/*} media type are accepted; whitespace inside the payload (line-wrapped base64) is ignored.
     */
    public static byte[] decode(String url, long maxBytes) {
        if (!isDataUrl(url)) {
            throw new ImageIntakeException(Code.INVALID_DATA_URL, "not a data: URL");
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw new ImageIntakeException(Code.INVALID_DATA_URL, "data: URL has no ',' before its payload");
        }
        String header = url.substring(5, comma).strip().toLowerCase(Locale.ROOT);
        String[] parts = header.split(";");
        String mediaType = parts[0].strip();
        if (!mediaType.startsWith("image/") || mediaType.length() == "image/".length()) {
            throw new ImageIntakeException(Code.NOT_AN_IMAGE,
                    "data: URL media type must be image/*, got '" + (mediaType.isEmpty() ? "(none)" : mediaType) + "'");
        }
        if (!parts[parts.length - 1].strip().equals("base64")) {
            throw new ImageIntakeException(Code.INVALID_DATA_URL, "image data: URLs must be base64 (data:"
                    + mediaType + ";base64,...)");
        }
        String payload = withoutAsciiWhitespace(url.substring(comma + 1));
        if (decodedLength(payload) > maxBytes) {
            throw new ImageIntakeException(Code.IMAGE_TOO_LARGE, "inline image is larger than " + maxBytes + " bytes");
        }
        try {
            return Base64.getDecoder().decode(payload);
        } catch (IllegalArgumentException e) {
            throw new ImageIntakeException(Code.INVALID_DATA_URL, "data: URL payload is not valid base64: "
                    + e.getMessage());
        }
    }

    /** {@code payload} without the whitespace of line-wrapped base64; most payloads have none and are returned as is. */
    private static String withoutAsciiWhitespace(String payload) {
        StringBuilder kept = null;
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            boolean whitespace = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
            if (whitespace && kept == null) {
                kept = new StringBuilder(payload.length()).append(payload, 0, i);
            } else if (!whitespace && kept != null) {
                kept.append(c);
            }
        }
        return kept == null ? payload : kept.toString();
    }

    /** What {@code payload} decodes to, computed without decoding it. */
    private static long decodedLength(String payload) {
        int padding = payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0;
        return (long) payload.length() * 3 / 4 - padding;
    }
}
