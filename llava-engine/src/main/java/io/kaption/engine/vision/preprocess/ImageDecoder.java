package io.kaption.engine.vision.preprocess;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes request image bytes into RGB exactly as {@code ImageOps.exif_transpose(Image.open(b)).convert("RGB")}
 * does in PIL-based LLaVA pipelines.
 *
 * <p>Any format ImageIO reads is accepted (PNG, JPEG, GIF, BMP, WBMP; TIFF on JDKs that bundle it). Samples are read
 * from the raster, never through {@code BufferedImage.getRGB}, which colour-converts and premultiplies:
 * <ul>
 *   <li>alpha is dropped, keeping the colour stored under transparent pixels (no compositing);</li>
 *   <li>grey is replicated to R, G and B; palettes are expanded; 1/2/4-bit grey is scaled to 0..255;</li>
 *   <li>16-bit grey without alpha is clipped to 255 (PIL's "I;16" to "RGB"), other 16-bit samples keep their high
 *       byte (PIL's "RGB;16B", "LA;16B" unpackers);</li>
 *   <li>the EXIF orientation tag (read with metadata-extractor) is applied like {@code exif_transpose}.</li>
 * </ul>
 * CMYK JPEGs are converted with PIL's {@code cmyk2rgb} formula; other colour spaces are rejected with
 * {@link ImageDecodingException}.
 */
public final class ImageDecoder {

    /** PIL raises DecompressionBombError above twice {@code Image.MAX_IMAGE_PIXELS}; so do we. */
    static final long MAX_PIXELS = 2L * 89_478_485L;

    private ImageDecoder() {
    }

    /** Decodes {@code bytes}; throws {@link ImageDecodingException} with the reason when that is impossible. */
    public static RgbImage decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodingException("image is empty (0 bytes)");
        }
        RgbImage image = readRaster(bytes);
        return applyOrientation(image, exifOrientation(bytes));
    }

    /**
     * The same result as {@link #decode(byte[])} for {@code bytes} a caller has already decoded into {@code pixels}
     * (to admit them, say) with ImageIO's reader for their format, image 0, default parameters, as
     * {@code decode} reads them: only the conversion to RGB and the EXIF orientation are left to do.
     *
     * @param formatName the format's name, for error messages
     */
    public static RgbImage decode(byte[] bytes, BufferedImage pixels, String formatName) {
        if ((long) pixels.getWidth() * pixels.getHeight() > MAX_PIXELS) {
            throw new ImageDecodingException("image " + pixels.getWidth() + "x" + pixels.getHeight()
                    + " has more than " + MAX_PIXELS + " pixels");
        }
        try {
            return applyOrientation(toRgb(pixels, formatName), exifOrientation(bytes));
        } catch (ImageDecodingException e) {
            throw e;
        } catch (RuntimeException e) {
            // As decode(bytes) reports a failure of the same conversion.
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new ImageDecodingException("cannot decode image (" + bytes.length + " bytes): " + reason, e);
        }
    }

    private static RgbImage readRaster(byte[] bytes) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodingException("unrecognised image format (" + bytes.length + " bytes, starting "
                        + hexPrefix(bytes) + "); readable formats: " + readableFormats());
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new ImageDecodingException("image " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " has more than " + MAX_PIXELS + " pixels");
                }
                return toRgb(reader.read(0), reader.getFormatName());
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodingException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new ImageDecodingException("cannot decode image (" + bytes.length + " bytes): " + reason, e);
        }
    }

    private static RgbImage toRgb(BufferedImage image, String format) {
        int width = image.getWidth();
        int height = image.getHeight();
        Raster raster = image.getRaster();
        ColorModel colorModel = image.getColorModel();
        byte[] out = new byte[width * height * 3];
        int[] row = null;

        if (colorModel instanceof IndexColorModel palette) {
            for (int y = 0; y < height; y++) {
                row = raster.getSamples(0, y, width, 1, 0, row);
                for (int x = 0; x < width; x++) {
                    int o = (y * width + x) * 3;
                    out[o] = (byte) palette.getRed(row[x]);
                    out[o + 1] = (byte) palette.getGreen(row[x]);
                    out[o + 2] = (byte) palette.getBlue(row[x]);
                }
            }
            return new RgbImage(width, height, out);
        }

        int colourType = colorModel.getColorSpace().getType();
        int colours = colorModel.getNumColorComponents();
        if (colourType == ColorSpace.TYPE_CMYK && colours == 4) {
            return cmykToRgb(raster, width, height, format);
        }
        boolean grey = colourType == ColorSpace.TYPE_GRAY && colours == 1;
        if (!grey && !(colourType == ColorSpace.TYPE_RGB && colours == 3)) {
            throw new ImageDecodingException("unsupported " + format + " colour space (type " + colourType + ", "
                    + colours + " colour components); only RGB, grey, palette and CMYK images are accepted");
        }
        if (colorModel.isAlphaPremultiplied()) {
            throw new ImageDecodingException(format + " image with premultiplied alpha is not supported");
        }
        int bands = raster.getNumBands();
        int[] bits = raster.getSampleModel().getSampleSize();
        // PIL opens 16-bit grey without alpha as "I;16", whose conversion to RGB clips instead of shifting.
        boolean clip16 = grey && !colorModel.hasAlpha();
        int[] band = grey ? new int[] {0, 0, 0} : new int[] {0, 1, 2};
        for (int c = 0; c < 3; c++) {
            int b = bits[band[c]];
            if (b > 16 || (b > 8 && b != 16)) {
                throw new ImageDecodingException(format + " image with " + b + "-bit samples is not supported");
            }
        }
        if (bits[band[0]] == 8 && bits[band[1]] == 8 && bits[band[2]] == 8
                && copyInterleavedBytes(raster, band, width, height, out)) {
            return new RgbImage(width, height, out);
        }
        for (int y = 0; y < height; y++) {
            row = raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) to8Bit(row[x * bands + band[c]], bits[band[c]], clip16);
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /**
     * The usual case (8-bit JPEG and PNG: one byte per sample in a byte array) read straight from the array, the
     * same samples {@code getPixels} returns at several times the cost per pixel; false, and nothing written, for any
     * other layout.
     */
    private static boolean copyInterleavedBytes(Raster raster, int[] band, int width, int height, byte[] out) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel layout)
                || !(raster.getDataBuffer() instanceof DataBufferByte buffer)
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        byte[][] banks = buffer.getBankData();
        int pixelStride = layout.getPixelStride();
        int scanlineStride = layout.getScanlineStride();
        byte[] r = banks[layout.getBankIndices()[band[0]]];
        byte[] g = banks[layout.getBankIndices()[band[1]]];
        byte[] b = banks[layout.getBankIndices()[band[2]]];
        int[] bandOffsets = layout.getBandOffsets();
        int[] start = new int[3];
        for (int c = 0; c < 3; c++) {
            start[c] = buffer.getOffsets()[layout.getBankIndices()[band[c]]] + bandOffsets[band[c]];
        }
        int o = 0;
        for (int y = 0; y < height; y++) {
            int p = y * scanlineStride;
            for (int x = 0; x < width; x++, p += pixelStride) {
                out[o++] = r[start[0] + p];
                out[o++] = g[start[1] + p];
                out[o++] = b[start[2] + p];
            }
        }
        return true;
    }

    /** PIL's {@code cmyk2rgb}: {@code 255 - k} scaled down by each ink, with its integer rounding. */
    private static RgbImage cmykToRgb(Raster raster, int width, int height, String format) {
        for (int bits : raster.getSampleModel().getSampleSize()) {
            if (bits != 8) {
                throw new ImageDecodingException(format + " CMYK image with " + bits + "-bit samples is not supported");
            }
        }
        byte[] out = new byte[width * height * 3];
        int[] row = null;
        for (int y = 0; y < height; y++) {
            row = raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int notBlack = 255 - row[x * 4 + 3];
                for (int c = 0; c < 3; c++) {
                    int product = row[x * 4 + c] * notBlack + 128;
                    int v = notBlack - (((product >> 8) + product) >> 8);
                    out[(y * width + x) * 3 + c] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    private static int to8Bit(int sample, int bits, boolean clip16) {
        if (bits == 8) {
            return sample;
        }
        if (bits == 16) {
            return clip16 ? Math.min(sample, 255) : sample >>> 8;
        }
        return sample * 255 / ((1 << bits) - 1);
    }

    /** The EXIF orientation (1..8), or 1 when the image has none or its metadata cannot be read. */
    static int exifOrientation(byte[] bytes) {
        try {
            ExifIFD0Directory exif = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes))
                    .getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif == null || !exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return 1;
            }
            int orientation = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            return orientation >= 1 && orientation <= 8 ? orientation : 1;
        } catch (ImageProcessingException | IOException | MetadataException | RuntimeException e) {
            // PIL's exif_transpose also leaves an image alone when its EXIF is unreadable.
            return 1;
        }
    }

    /** PIL's exif_transpose: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 270, 7 transverse, 8 rotate 90. */
    static RgbImage applyOrientation(RgbImage in, int orientation) {
        if (orientation == 1) {
            return in;
        }
        int w = in.width();
        int h = in.height();
        boolean swap = orientation >= 5;
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        byte[] src = in.pixels();
        byte[] out = new byte[src.length];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    case 8 -> { sx = w - 1 - y; sy = x; }
                    default -> throw new IllegalArgumentException("EXIF orientation " + orientation);
                }
                System.arraycopy(src, (sy * w + sx) * 3, out, (y * outW + x) * 3, 3);
            }
        }
        return new RgbImage(outW, outH, out);
    }

    private static String readableFormats() {
        return Arrays.stream(ImageIO.getReaderFormatNames()).map(name -> name.toLowerCase(Locale.ROOT)).distinct()
                .sorted().collect(Collectors.joining(", "));
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return hex.toString();
    }
}
