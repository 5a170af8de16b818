package io.kaption.engine.vision.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
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
}
