package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding matches Pillow's {@code exif_transpose(Image.open(f)).convert("RGB")} on every sample layout we accept. */
class ImageDecoderTest {

    @ParameterizedTest
    @ValueSource(strings = {"rgba_transparent.png", "la.png", "palette.png", "palette.gif", "bilevel.png",
            "grey16.png", "rgb16.png", "la16.png", "grey4.png", "rgb.bmp"})
    void losslessFormatsDecodeExactlyLikePillow(String name) {
        RgbImage actual = ImageDecoder.decode(ReferenceImages.bytes(name));
        RgbImage expected = ReferenceImages.expectedRgb(name);

        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        assertThat(actual.pixels()).isEqualTo(expected.pixels());
    }

    @ParameterizedTest
    @ValueSource(strings = {"orientation1.jpg", "orientation2.jpg", "orientation3.jpg", "orientation4.jpg",
            "orientation5.jpg", "orientation6.jpg", "orientation7.jpg", "orientation8.jpg", "grey.jpg", "cmyk.jpg",
            "progressive.jpg", "subsampling444.jpg", "subsampling422.jpg", "subsampling420.jpg"})
    void jpegsAreDecodedAndExifOrientedLikePillow(String name) {
        RgbImage actual = ImageDecoder.decode(ReferenceImages.bytes(name));
        RgbImage expected = ReferenceImages.expectedRgb(name);

        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        assertThat(actual.pixels()).isEqualTo(expected.pixels());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgba_transparent.png", "la.png", "palette.png", "palette.gif", "bilevel.png",
            "grey16.png", "rgb16.png", "la16.png", "grey4.png", "rgb.bmp", "orientation1.jpg", "orientation6.jpg",
            "orientation8.jpg", "grey.jpg", "cmyk.jpg", "progressive.jpg", "subsampling420.jpg"})
    void pixelsTheCallerDecodedAreConvertedAndOrientedLikePillow(String name) throws IOException {
        byte[] bytes = ReferenceImages.bytes(name);
        BufferedImage pixels = ImageIO.read(new ByteArrayInputStream(bytes));

        RgbImage actual = ImageDecoder.decode(bytes, pixels, name);
        RgbImage expected = ReferenceImages.expectedRgb(name);

        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        assertThat(actual.pixels()).isEqualTo(expected.pixels());
    }

    @Test
    void transparentPixelsKeepTheirStoredColour() {
        // rgba_transparent.png has alpha 0 in its first five columns; compositing would have turned them black/white.
        RgbImage rgb = ImageDecoder.decode(ReferenceImages.bytes("rgba_transparent.png"));
        RgbImage expected = ReferenceImages.expectedRgb("rgba_transparent.png");
        boolean anyColour = false;
        for (int y = 0; y < rgb.height(); y++) {
            for (int x = 0; x < 5; x++) {
                anyColour |= rgb.sample(x, y, 0) != 0 && rgb.sample(x, y, 0) != 255;
                assertThat(rgb.sample(x, y, 1)).isEqualTo(expected.sample(x, y, 1));
            }
        }
        assertThat(anyColour).isTrue();
    }

    @Test
    void sixteenBitGreyClipsLikePillowsI16Conversion() {
        // First row of grey16.png starts 0, 200, 255, 256: Pillow's I;16 -> RGB clips at 255 instead of shifting.
        RgbImage rgb = ImageDecoder.decode(ReferenceImages.bytes("grey16.png"));
        assertThat(new int[] {rgb.sample(0, 0, 0), rgb.sample(1, 0, 1), rgb.sample(2, 0, 2), rgb.sample(3, 0, 0)})
                .containsExactly(0, 200, 255, 255);
    }

    @Test
    void unknownBytesAreRejectedNamingTheFormats() {
        assertThatThrownBy(() -> ImageDecoder.decode("definitely not an image".getBytes()))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining("unrecognised image format")
                .hasMessageContaining("png");
    }

    @Test
    void emptyAndTruncatedImagesAreRejected() {
        assertThatThrownBy(() -> ImageDecoder.decode(new byte[0]))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining("empty");
        byte[] png = ReferenceImages.bytes("noise97x61.png");
        assertThatThrownBy(() -> ImageDecoder.decode(Arrays.copyOf(png, png.length / 2)))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining("cannot decode image");
    }
}
