package io.kaption.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kaption.images.fetch.DataUrls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Image admission under arbitrary bytes: uploads (PNG, JPEG, GIF, BMP, WebP headers, truncated files, decompression
 * bombs) and {@code data:} URLs. Whatever comes in, admission returns an image within the pixel cap or refuses it with
 * an {@link ImageIntakeException} (a 4xx), never another exception or error. The cap is 1 Mpx here so that one
 * execution stays fast; the check it exercises is the same at the default 40 Mpx. Under {@code mvn verify} this
 * replays the committed corpus in {@code ImageAdmissionFuzzTestInputs/}; {@code tools/fuzz/run} fuzzes it.
 */
class ImageAdmissionFuzzTest {

    private static final long MAX_PIXELS = 1_000_000;
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final ImageIntake INTAKE = new ImageIntake(new ImageIntakeConfig(false, List.of(), Optional.empty(),
            ImageIntakeConfig.DEFAULT_MAX_BYTES, MAX_PIXELS, Duration.ofSeconds(1), Duration.ofSeconds(1),
            Duration.ofSeconds(1), 0, ImageIntakeConfig.DEFAULT_MAX_IMAGES_PER_REQUEST));

    @FuzzTest(maxDuration = "60s")
    void admitBytes(byte[] data) {
        try {
            AdmittedImage image = withinDeadline(() -> INTAKE.admit(data));
            assertThat((long) image.width() * image.height()).isBetween(1L, MAX_PIXELS);
        } catch (ImageIntakeException e) {
            assertThat(e.httpStatus()).isBetween(400, 499);
        }
    }

    /** The bytes as a URL, as a request's {@code image_url} or an {@code <image:URL>} tag carries it. */
    @FuzzTest(maxDuration = "60s")
    void dataUrl(byte[] data) {
        String url = new String(data, StandardCharsets.UTF_8);
        if (!DataUrls.isDataUrl(url)) {
            return; // anything else is a remote fetch, refused here (remote images off) without a network
        }
        try {
            AdmittedImage image = withinDeadline(() -> INTAKE.loadUrl(url));
            assertThat((long) image.width() * image.height()).isBetween(1L, MAX_PIXELS);
        } catch (ImageIntakeException e) {
            assertThat(e.httpStatus()).isBetween(400, 499);
        }
    }

    /**
     * A hang is a finding too (a thread of the ingest service or a worker held by one small file): an admission still
     * running after the deadline fails the execution, so Jazzer keeps the input.
     */
    private static AdmittedImage withinDeadline(org.junit.jupiter.api.function.ThrowingSupplier<AdmittedImage> admission) {
        return assertTimeoutPreemptively(DEADLINE, admission, "image admission hung");
    }
}
