package io.kaption.images.inspect;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/** The admitted image formats, recognised by their leading bytes, never by a Content-Type or file name. */
public enum ImageFormat {
    PNG("png", "image/png"),
    JPEG("jpeg", "image/jpeg"),
    GIF("gif", "image/gif"),
    BMP("bmp", "image/bmp"),
    WEBP("webp", "image/webp");

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final Set<String> HEIF_BRANDS = Set.of("heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis");

    private final String imageIoName;
    private final String mediaType;

    ImageFormat(String imageIoName, String mediaType) {
        this.imageIoName = imageIoName;
        this.mediaType = mediaType;
    }

    /** The format name ImageIO registers a reader under. */
    public String imageIoName() {
        return imageIoName;
    }

    public String mediaType() {
        return mediaType;
    }

    /** The admitted format {@code bytes} start like, if any. */
    public static Optional<ImageFormat> sniff(byte[] bytes) {
        if (startsWith(bytes, 0, PNG_SIGNATURE)) {
            return Optional.of(PNG);
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
            return Optional.of(JPEG);
        }
        if (startsWith(bytes, 0, ascii("GIF87a")) || startsWith(bytes, 0, ascii("GIF89a"))) {
            return Optional.of(GIF);
        }
        if (startsWith(bytes, 0, ascii("BM"))) {
            return Optional.of(BMP);
        }
        if (startsWith(bytes, 0, ascii("RIFF")) && startsWith(bytes, 8, ascii("WEBP"))) {
            return Optional.of(WEBP);
        }
        return Optional.empty();
    }

    /**
     * The admitted format of {@code bytes}, or a refusal: {@code unsupported_image_format} for images of other formats
     * (TIFF, HEIC/AVIF), {@code not_an_image} for everything else.
     */
    public static ImageFormat detect(byte[] bytes) {
        return sniff(bytes).orElseThrow(() -> isUnsupportedImage(bytes)
                ? new ImageIntakeException(Code.UNSUPPORTED_IMAGE_FORMAT,
                        "image format not supported; send PNG, JPEG, GIF, BMP or WebP")
                : new ImageIntakeException(Code.NOT_AN_IMAGE,
                        "data is not an image (expected PNG, JPEG, GIF, BMP or WebP)"));
    }

    private static boolean isUnsupportedImage(byte[] bytes) {
        boolean tiff = startsWith(bytes, 0, new byte[] {'I', 'I', 42, 0}) || startsWith(bytes, 0, new byte[] {'M', 'M', 0, 42});
        boolean heif = startsWith(bytes, 4, ascii("ftyp")) && bytes.length >= 12
                && HEIF_BRANDS.contains(new String(bytes, 8, 4, StandardCharsets.US_ASCII));
        return tiff || heif;
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        return bytes.length >= offset + prefix.length
                && Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
