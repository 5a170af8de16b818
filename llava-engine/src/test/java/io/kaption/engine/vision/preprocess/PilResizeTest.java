package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The resampler port against Pillow 12.3.0's own output on a noise image (bit-exact). */
class PilResizeTest {

    private static final Pattern NAME = Pattern.compile("resize_([a-z]+)_(\\d+)x(\\d+)\\.png");

    @ParameterizedTest
    @ValueSource(strings = {"resize_bicubic_42x26.png", "resize_bicubic_84x52.png", "resize_bicubic_300x7.png",
            "resize_bicubic_97x190.png", "resize_bicubic_33x61.png", "resize_bilinear_42x26.png",
            "resize_lanczos_42x26.png", "resize_box_130x40.png", "resize_hamming_50x50.png"})
    void matchesPillowBitForBit(String name) {
        Matcher m = NAME.matcher(name);
        assertThat(m.matches()).isTrue();
        PilResize.Filter filter = PilResize.Filter.valueOf(m.group(1).toUpperCase());
        RgbImage noise = ImageDecoder.decode(ReferenceImages.bytes("noise97x61.png"));

        RgbImage actual = PilResize.resize(noise, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), filter);

        RgbImage expected = ImageDecoder.decode(ReferenceImages.bytes(name));
        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        assertThat(actual.pixels()).isEqualTo(expected.pixels());
    }

    /** Every window of a resize is the same pixels as the whole resize cropped, for down-, up- and one-way scaling. */
    @ParameterizedTest
    @EnumSource(PilResize.Filter.class)
    void aWindowIsTheWholeResizeCropped(PilResize.Filter filter) {
        Random random = new Random(7);
        RgbImage noise = ImageDecoder.decode(ReferenceImages.bytes("noise97x61.png"));
        int[][] sizes = {{42, 26}, {130, 80}, {97, 40}, {50, 61}, {97, 61}, {300, 7}, {3, 200}};
        for (int[] size : sizes) {
            RgbImage whole = PilResize.resize(noise, size[0], size[1], filter);
            for (int trial = 0; trial < 20; trial++) {
                int windowWidth = 1 + random.nextInt(size[0]);
                int windowHeight = 1 + random.nextInt(size[1]);
                int left = random.nextInt(size[0] - windowWidth + 1);
                int top = random.nextInt(size[1] - windowHeight + 1);

                RgbImage window = PilResize.resizeWindow(noise, size[0], size[1], filter, left, top, windowWidth,
                        windowHeight);

                assertThat(window.pixels()).as("%s %dx%d, %dx%d at (%d, %d)", filter, size[0], size[1], windowWidth,
                        windowHeight, left, top).isEqualTo(whole.crop(left, top, windowWidth, windowHeight).pixels());
            }
        }
    }

    @Test
    void aWindowOutsideTheResizedImageIsRefused() {
        RgbImage noise = ImageDecoder.decode(ReferenceImages.bytes("noise97x61.png"));
        assertThatThrownBy(() -> PilResize.resizeWindow(noise, 40, 30, PilResize.Filter.BICUBIC, 10, 0, 31, 30))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PilResize.resizeWindow(noise, 40, 30, PilResize.Filter.BICUBIC, 0, -1, 40, 30))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
