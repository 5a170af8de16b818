package io.kaption.images;

import com.sun.net.httpserver.HttpServer;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.inspect.ImageFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The service-facing entry point end to end: every kind of reference, through to inspection. */
class ImageIntakeTest {

    private static final byte[] JPEG = TestImages.jpeg(40, 30);
    private static final byte[] BOMB = TestImages.pngDeclaring(50_000, 50_000);

    @TempDir
    Path root;
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private String base;
    private String allowed;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] body = exchange.getRequestURI().getPath().equals("/bomb.png") ? BOMB : JPEG;
            // The label lies on purpose: the bytes decide the format.
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        int port = server.getAddress().getPort();
        base = "http://127.0.0.1:" + port;
        allowed = "127.0.0.1:" + port;
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void admitsInlineDataUrl() throws IOException {
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults())) {
            AdmittedImage image = intake.loadUrl("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(JPEG));

            assertThat(image.bytes()).isEqualTo(JPEG);
            assertThat(image).extracting(AdmittedImage::format, AdmittedImage::width, AdmittedImage::height)
                    .containsExactly(ImageFormat.JPEG, 40, 30);
        }
    }

    @Test
    void inlineDataThatIsNotAnImageIsRefused() throws IOException {
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults())) {
            String url = "data:image/png;base64," + Base64.getEncoder().encodeToString("not a png".getBytes());

            assertThat(refusal(() -> intake.loadUrl(url)).code()).isEqualTo(Code.NOT_AN_IMAGE);
        }
    }

    @Test
    void remoteUrlIsRefusedByDefault() throws IOException {
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults())) {
            assertThat(refusal(() -> intake.loadUrl(base + "/cat.png")).code()).isEqualTo(Code.REMOTE_IMAGES_DISABLED);
            // A scheme that is never fetched says so, whether or not remote images are on.
            assertThat(refusal(() -> intake.loadUrl("ftp://cdn.test/cat.png")).code()).isEqualTo(Code.UNSUPPORTED_SCHEME);
        }
        assertThat(requests).hasValue(0);
    }

    @Test
    void fetchesAndInspectsAllowListedRemoteImage() throws IOException {
        try (ImageIntake intake = new ImageIntake(remote())) {
            AdmittedImage image = intake.loadUrl(base + "/cat.png");

            assertThat(image.bytes()).isEqualTo(JPEG);
            assertThat(image.format()).isEqualTo(ImageFormat.JPEG);
            assertThat(image.width()).isEqualTo(40);
        }
    }

    @Test
    void fetchedDecompressionBombIsRefused() throws IOException {
        try (ImageIntake intake = new ImageIntake(remote())) {
            ImageIntakeException refusal = refusal(() -> intake.loadUrl(base + "/bomb.png"));

            assertThat(refusal.code()).isEqualTo(Code.IMAGE_DIMENSIONS_TOO_LARGE);
            assertThat(refusal.httpStatus()).isEqualTo(422);
        }
    }

    @Test
    void readsImagePathsUnderTheRootOnly() throws IOException {
        Files.write(root.resolve("cat.jpg"), JPEG);
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.fromEnvironment(
                Map.of(ImageIntakeConfig.IMAGE_PATHS_ROOT, root.toString())))) {
            assertThat(intake.loadPath("cat.jpg").height()).isEqualTo(30);
            assertThat(refusal(() -> intake.loadPath("../cat.jpg")).code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        }
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.defaults())) {
            assertThat(refusal(() -> intake.loadPath(root.resolve("cat.jpg").toString())).code())
                    .isEqualTo(Code.PATH_NOT_ALLOWED);
        }
    }

    @Test
    void admitsBytesFromElsewhereUnderTheSameCaps() throws IOException {
        try (ImageIntake intake = new ImageIntake(ImageIntakeConfig.fromEnvironment(
                Map.of(ImageIntakeConfig.MAX_BYTES, String.valueOf(JPEG.length - 1))))) {
            assertThat(refusal(() -> intake.admit(JPEG)).code()).isEqualTo(Code.IMAGE_TOO_LARGE);
        }
    }

    private ImageIntakeConfig remote() {
        return ImageIntakeConfig.fromEnvironment(Map.of(
                ImageIntakeConfig.ALLOW_REMOTE_IMAGES, "true", ImageIntakeConfig.ALLOWED_HOSTS, allowed));
    }

    private static ImageIntakeException refusal(Runnable action) {
        ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class, action::run);
        assertThat(refusal).isNotNull();
        return refusal;
    }
}
