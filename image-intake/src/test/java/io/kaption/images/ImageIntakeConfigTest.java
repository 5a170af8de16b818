package io.kaption.images;

import io.kaption.images.fetch.AllowedHost;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ImageIntakeConfigTest {

    @Test
    void defaultsAreClosed() {
        ImageIntakeConfig config = ImageIntakeConfig.defaults();

        assertThat(config.remoteImagesAllowed()).isFalse();
        assertThat(config.allowedHosts()).isEmpty();
        assertThat(config.imagePathsRoot()).isEmpty();
        assertThat(config.maxBytes()).isEqualTo(20L * 1024 * 1024);
        assertThat(config.maxPixels()).isEqualTo(40_000_000L);
        assertThat(config.fetchTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.readTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.maxRedirects()).isEqualTo(3);
        assertThat(config.maxImagesPerRequest()).isEqualTo(8);
    }

    @Test
    void readsEveryVariable() {
        ImageIntakeConfig config = ImageIntakeConfig.fromEnvironment(Map.of(
                "TAKEOFF_ALLOW_REMOTE_IMAGES", "TRUE",
                "KAPTION_REMOTE_IMAGE_ALLOWED_HOSTS", " cdn.test:8443, 10.0.0.7 ,,[::1]:9000",
                "KAPTION_IMAGE_PATHS_ROOT", "/srv/images",
                "KAPTION_REMOTE_IMAGE_MAX_BYTES", "1048576",
                "KAPTION_IMAGE_MAX_PIXELS", "1000000",
                "KAPTION_REMOTE_IMAGE_TIMEOUT_MS", "2500",
                "KAPTION_REMOTE_IMAGE_CONNECT_TIMEOUT_MS", "700",
                "KAPTION_REMOTE_IMAGE_READ_TIMEOUT_MS", "800",
                "KAPTION_REMOTE_IMAGE_MAX_REDIRECTS", "0",
                "KAPTION_MAX_IMAGES_PER_REQUEST", "2"));

        assertThat(config.remoteImagesAllowed()).isTrue();
        assertThat(config.allowedHosts()).containsExactly(
                AllowedHost.parse("cdn.test:8443"), AllowedHost.parse("10.0.0.7"), AllowedHost.parse("[::1]:9000"));
        assertThat(config.imagePathsRoot()).isEqualTo(Optional.of(Path.of("/srv/images")));
        assertThat(config.maxBytes()).isEqualTo(1_048_576);
        assertThat(config.maxPixels()).isEqualTo(1_000_000);
        assertThat(config.fetchTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(config.readTimeout()).isEqualTo(Duration.ofMillis(800));
        assertThat(config.maxRedirects()).isZero();
        assertThat(config.maxImagesPerRequest()).isEqualTo(2);
    }

    @Test
    void blankValuesMeanDefault() {
        ImageIntakeConfig config = ImageIntakeConfig.fromEnvironment(Map.of(
                "TAKEOFF_ALLOW_REMOTE_IMAGES", " ", "KAPTION_IMAGE_PATHS_ROOT", ""));

        assertThat(config.remoteImagesAllowed()).isFalse();
        assertThat(config.imagePathsRoot()).isEmpty();
    }

    @Test
    void malformedValuesFailNamingTheVariable() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("TAKEOFF_ALLOW_REMOTE_IMAGES", "yes")))
                .withMessageContaining("TAKEOFF_ALLOW_REMOTE_IMAGES");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_REMOTE_IMAGE_MAX_BYTES", "20MiB")))
                .withMessageContaining("KAPTION_REMOTE_IMAGE_MAX_BYTES");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_IMAGE_MAX_PIXELS", "0")))
                .withMessageContaining("KAPTION_IMAGE_MAX_PIXELS");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_REMOTE_IMAGE_MAX_REDIRECTS", "-1")))
                .withMessageContaining("KAPTION_REMOTE_IMAGE_MAX_REDIRECTS");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_REMOTE_IMAGE_ALLOWED_HOSTS", "cdn.test:http")))
                .withMessageContaining("KAPTION_REMOTE_IMAGE_ALLOWED_HOSTS");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_REMOTE_IMAGE_TIMEOUT_MS", "-5")))
                .withMessageContaining("KAPTION_REMOTE_IMAGE_TIMEOUT_MS");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ImageIntakeConfig.fromEnvironment(Map.of("KAPTION_REMOTE_IMAGE_MAX_BYTES", "4294967296")))
                .withMessageContaining("KAPTION_REMOTE_IMAGE_MAX_BYTES");
    }
}
