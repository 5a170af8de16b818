package io.kaption.images.inspect;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Admission checks an image must pass before it is published: the format is sniffed from the leading bytes, the
 * width × height is read from the header and capped before any pixel is allocated (so a tiny file declaring
 * 100000 × 100000 costs nothing), and the image is then decoded in full so truncated or corrupt files are refused.
 * A decoder warning (e.g. a JPEG whose data ends early) counts as corruption, and so does a decoder reading on far past
 * the end of the data ({@link InMemoryImageInputStream}).
 */
public final class ImageInspector {

    private final long maxPixels;

    public ImageInspector(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    /**
     * What the image is, with the pixels its full decode produced.
     *
     * @throws ImageIntakeException with {@code not_an_image}, {@code unsupported_image_format},
     *                              {@code image_dimensions_too_large} or {@code corrupt_image}
     */
    public DecodedImage decode(byte[] bytes) {
        ImageFormat format = ImageFormat.detect(bytes);
        ImageReader reader = readerFor(format);
        try (ImageInputStream input = new InMemoryImageInputStream(bytes)) {
            reader.setInput(input, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width <= 0 || height <= 0) {
                throw new ImageIntakeException(Code.CORRUPT_IMAGE, format + " image declares " + width + "x" + height);
            }
            if ((long) width * height > maxPixels) {
                throw new ImageIntakeException(Code.IMAGE_DIMENSIONS_TOO_LARGE, format + " image is " + width + "x"
                        + height + " pixels, more than the " + maxPixels + " pixels accepted");
            }
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage pixels = reader.read(0);
            if (!warnings.isEmpty()) {
                throw corrupt(format, String.join("; ", warnings), null);
            }
            return new DecodedImage(new InspectedImage(format, width, height), pixels);
        } catch (ImageIntakeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Decoders signal damaged input with IIOException but also with runtime exceptions of every kind.
            throw corrupt(format, e.getMessage(), e);
        } finally {
            reader.dispose();
        }
    }

    private static ImageReader readerFor(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new ImageIntakeException(Code.UNSUPPORTED_IMAGE_FORMAT, "no decoder for " + format + " is installed");
        }
        return readers.next();
    }

    private static ImageIntakeException corrupt(ImageFormat format, String detail, Throwable cause) {
        return new ImageIntakeException(Code.CORRUPT_IMAGE,
                format + " image is damaged or truncated" + (detail == null ? "" : ": " + detail), cause);
    }
}
