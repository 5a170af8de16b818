package io.kaption.worker.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.vision.preprocess.ImageDecoder;
import io.kaption.images.ImageIntake;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.worker.TestImages;
import java.awt.Color;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** s3:// images from the shared S3 server, and how each refusal is classified. */
@ExtendWith(SharedInfrastructure.class)
class ImageLoaderIT {

    private static final String BUCKET = "images-" + UUID.randomUUID();
    private static final byte[] PNG = TestImages.png(Color.ORANGE, Color.BLUE);
    private static ImageIntake intake;
    private static ImageLoader loader;

    @BeforeAll
    static void upload() {
        S3Client s3 = SharedInfrastructure.s3Client();
        s3.createBucket(b -> b.bucket(BUCKET));
        s3.putObject(b -> b.bucket(BUCKET).key("cats/1.png"), RequestBody.fromBytes(PNG));
        s3.putObject(b -> b.bucket(BUCKET).key("notes.txt"), RequestBody.fromString("not an image"));
        intake = new ImageIntake(ImageIntakeConfig.defaults());
        loader = new ImageLoader(intake, s3);
    }

    @AfterAll
    static void close() throws IOException {
        intake.close();
    }

    @Test
    void anS3ObjectIsReadAndAdmitted() {
        LoadedImage image = loader.load("s3://" + BUCKET + "/cats/1.png");

        assertThat(image.bytes()).isEqualTo(PNG);
        assertThat(image.rgb().pixels()).isEqualTo(ImageDecoder.decode(PNG).pixels());
    }

    @Test
    void missingObjectsAndBucketsAreUnavailable() {
        assertThatThrownBy(() -> loader.load("s3://" + BUCKET + "/cats/2.png"))
                .isInstanceOfSatisfying(ImageLoadException.class, e -> {
                    assertThat(e.code()).isEqualTo("image_unavailable");
                    assertThat(e.getMessage()).isEqualTo("s3://" + BUCKET + "/cats/2.png: NoSuchKey");
                });
        assertThatThrownBy(() -> loader.load("s3://no-such-bucket-" + UUID.randomUUID() + "/a.png"))
                .isInstanceOfSatisfying(ImageLoadException.class, e -> {
                    assertThat(e.code()).isEqualTo("image_unavailable");
                    assertThat(e.getMessage()).endsWith(": NoSuchBucket");
                });
        assertThatThrownBy(() -> loader.load("s3://" + BUCKET))
                .isInstanceOfSatisfying(ImageLoadException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("s3://" + BUCKET + ": not an s3://bucket/key URL"));
    }

    @Test
    void objectsThatAreNoImageOrTooLargeAreInvalid() throws IOException {
        assertThatThrownBy(() -> loader.load("s3://" + BUCKET + "/notes.txt"))
                .isInstanceOfSatisfying(ImageLoadException.class, e -> {
                    assertThat(e.code()).isEqualTo("invalid_image");
                    assertThat(e.getMessage()).startsWith("not_an_image: ");
                });
        try (ImageIntake small = new ImageIntake(ImageIntakeConfig.fromEnvironment(
                Map.of("KAPTION_REMOTE_IMAGE_MAX_BYTES", "100")))) {
            ImageLoader strict = new ImageLoader(small, SharedInfrastructure.s3Client());
            assertThatThrownBy(() -> strict.load("s3://" + BUCKET + "/cats/1.png"))
                    .isInstanceOfSatisfying(ImageLoadException.class, e -> {
                        assertThat(e.code()).isEqualTo("invalid_image");
                        assertThat(e.getMessage()).isEqualTo("image_too_large: s3://" + BUCKET
                                + "/cats/1.png is larger than 100 bytes");
                    });
        }
    }
}
