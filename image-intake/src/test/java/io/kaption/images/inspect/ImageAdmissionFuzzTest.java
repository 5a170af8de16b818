package io.kaption.images.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.fetch.DataUrls;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Image admission against any bytes (coverage-guided, Jazzer): PNG, JPEG, WebP and GIF headers, truncated files,
 * images declaring huge dimensions, and {@code data:} URLs. An image is admitted within the pixel cap or refused with
 * an {@link ImageIntakeException} (a 4xx with its code); anything else would be a 5xx or a worker failure.
 *
 * <p>{@code mvn verify} replays the corpus under {@code src/test/resources/.../ImageAdmissionFuzzTestInputs};
 * {@code tools/fuzz/run} fuzzes (see {@code docs/RELIABILITY.md}).
 */
class ImageAdmissionFuzzTest {

    private static final long MAX_PIXELS = 4_000_000;
    private static final ImageInspector INSPECTOR = new ImageInspector(MAX_PIXELS);

    /** First byte even: the rest is an image file; odd: the rest is a {@code data:} URL. */
    @FuzzTest(maxExecutions = 20_000)
    void anyBytesAreAdmittedOrRefusedWithACode(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        try {
            byte[] image = input[0] % 2 == 0 ? rest
                    : DataUrls.decode("data:" + new String(rest, StandardCharsets.ISO_8859_1), 1 << 20);
            InspectedImage admitted = INSPECTOR.inspect(image);
            assertThat((long) admitted.width() * admitted.height()).isPositive().isLessThanOrEqualTo(MAX_PIXELS);
        } catch (ImageIntakeException refused) {
            assertThat(refused.code()).isNotNull();
        }
    }
}
