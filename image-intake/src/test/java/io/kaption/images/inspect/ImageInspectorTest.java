package io.kaption.images.inspect;

import com.sun.management.ThreadMXBean;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class ImageInspectorTest {

    private final ImageInspector inspector = new ImageInspector(40_000_000);

    @Test
    void acceptsPngJpegGifAndBmpWithTheirDimensions() {
        assertThat(inspect(TestImages.png(31, 17))).isEqualTo(new InspectedImage(ImageFormat.PNG, 31, 17));
        assertThat(inspect(TestImages.jpeg(64, 48))).isEqualTo(new InspectedImage(ImageFormat.JPEG, 64, 48));
        assertThat(inspect(TestImages.gif(5, 9))).isEqualTo(new InspectedImage(ImageFormat.GIF, 5, 9));
        assertThat(inspect(TestImages.bmp(12, 3))).isEqualTo(new InspectedImage(ImageFormat.BMP, 12, 3));
    }

    /** Made with cwebp (Debian package webp) from a 23×11 PNG; ImageIO has no WebP writer. */
    @ParameterizedTest
    @ValueSource(strings = {"images/lossless-23x11.webp", "images/lossy-23x11.webp"})
    void acceptsWebp(String resource) throws IOException {
        byte[] webp;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            webp = in.readAllBytes();
        }
        assertThat(inspect(webp)).isEqualTo(new InspectedImage(ImageFormat.WEBP, 23, 11));
        assertThat(refuse(Arrays.copyOf(webp, webp.length - 20)).code()).isEqualTo(Code.CORRUPT_IMAGE);
    }

    /**
     * Found by ImageAdmissionFuzzTest: 78 bytes of WebP lossless (a 23×11 image) whose Huffman codes run past the end
     * of the data. TwelveMonkeys' decoder reads zero bits past the end, one caught EOFException per read, and spent
     * ~30 s (9 s of CPU) before admitting it; now the read past the end is refused at once.
     */
    @Test
    void refusesAWebpWhoseDecoderReadsOnPastTheEnd() throws IOException {
        byte[] webp;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("images/huffman-past-end.webp")) {
            webp = in.readAllBytes();
        }
        ImageIntakeException refused = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> refuse(webp));

        assertThat(refused.code()).isEqualTo(Code.CORRUPT_IMAGE);
        assertThat(refused.getMessage()).contains("ends early");
    }

    @Test
    void decodeKeepsThePixels() {
        DecodedImage decoded = inspector.decode(TestImages.png(31, 17));

        assertThat(decoded.info()).isEqualTo(new InspectedImage(ImageFormat.PNG, 31, 17));
        assertThat(decoded.pixels().getWidth()).isEqualTo(31);
        assertThat(decoded.pixels().getHeight()).isEqualTo(17);
    }

    @Test
    void formatComesFromTheBytesNotFromAnyLabel() {
        // Whatever a Content-Type or file name claimed, the JPEG signature decides.
        assertThat(ImageFormat.sniff(TestImages.jpeg(4, 4))).contains(ImageFormat.JPEG);
        assertThat(ImageFormat.sniff(TestImages.png(4, 4))).contains(ImageFormat.PNG);
        assertThat(ImageFormat.sniff("<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    void refusesTruncatedPng() {
        byte[] png = TestImages.png(200, 100);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);

        ImageIntakeException refusal = refuse(truncated);
        assertThat(refusal.code()).isEqualTo(Code.CORRUPT_IMAGE);
        assertThat(refusal.httpStatus()).isEqualTo(422);
    }

    @Test
    void refusesTruncatedJpeg() {
        byte[] jpeg = TestImages.jpeg(200, 100);

        assertThat(refuse(Arrays.copyOf(jpeg, jpeg.length / 2)).code()).isEqualTo(Code.CORRUPT_IMAGE);
    }

    @Test
    void refusesPngWithDamagedPixelData() {
        byte[] png = TestImages.png(64, 64);
        for (int i = png.length / 2; i < png.length - 12; i++) {
            png[i] ^= 0x5a;
        }
        assertThat(refuse(png).code()).isEqualTo(Code.CORRUPT_IMAGE);
    }

    @Test
    void refusesRandomBytes() {
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        noise[0] = 0; // not by chance one of the signatures

        assertThat(refuse(noise).code()).isEqualTo(Code.NOT_AN_IMAGE);
        assertThat(refuse(new byte[0]).code()).isEqualTo(Code.NOT_AN_IMAGE);
        assertThat(refuse("<html>".getBytes(StandardCharsets.US_ASCII)).code()).isEqualTo(Code.NOT_AN_IMAGE);
    }

    @Test
    void refusesSignatureFollowedByGarbage() {
        byte[] fakePng = Arrays.copyOf(TestImages.png(4, 4), 40);
        Arrays.fill(fakePng, 8, 40, (byte) 0x41);

        assertThat(refuse(fakePng).code()).isEqualTo(Code.CORRUPT_IMAGE);
    }

    @Test
    void refusesOtherImageFormatsAsUnsupported() {
        byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0};
        byte[] heic = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0};
        byte[] avif = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0};

        for (byte[] image : new byte[][] {tiff, heic, avif}) {
            ImageIntakeException refusal = refuse(image);
            assertThat(refusal.code()).isEqualTo(Code.UNSUPPORTED_IMAGE_FORMAT);
            assertThat(refusal.getMessage()).contains("PNG, JPEG, GIF, BMP or WebP");
        }
    }

    @Test
    void refusesDecompressionBombFromItsHeaderWithoutAllocatingThePixels() {
        byte[] bomb = TestImages.pngDeclaring(100_000, 100_000);
        assertThat(bomb.length).isLessThan(100);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();

        ImageIntakeException refusal = refuse(bomb);

        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        assertThat(refusal.code()).isEqualTo(Code.IMAGE_DIMENSIONS_TOO_LARGE);
        assertThat(refusal.getMessage()).contains("100000x100000");
        // Decoding would need 30 GB; reading the header needs next to nothing.
        assertThat(allocated).isLessThan(16L * 1024 * 1024);
    }

    @Test
    void pixelCapCountsWidthTimesHeight() {
        ImageInspector small = new ImageInspector(100);

        assertThat(small.decode(TestImages.png(10, 10)).info().width()).isEqualTo(10);
        assertThat(catchThrowableOfType(ImageIntakeException.class, () -> small.decode(TestImages.png(101, 1))).code())
                .isEqualTo(Code.IMAGE_DIMENSIONS_TOO_LARGE);
        assertThat(catchThrowableOfType(ImageIntakeException.class, () -> small.decode(TestImages.gif(11, 10))).code())
                .isEqualTo(Code.IMAGE_DIMENSIONS_TOO_LARGE);
    }

    @Test
    void refusesZeroSizedHeader() {
        assertThat(refuse(TestImages.pngDeclaring(0, 10)).code()).isIn(Code.CORRUPT_IMAGE);
    }

    private ImageIntakeException refuse(byte[] bytes) {
        ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class, () -> inspect(bytes));
        assertThat(refusal).as("inspection must refuse").isNotNull();
        return refusal;
    }

    private InspectedImage inspect(byte[] bytes) {
        return inspector.decode(bytes).info();
    }
}
