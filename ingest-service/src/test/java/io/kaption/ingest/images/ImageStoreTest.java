package io.kaption.ingest.images;

import io.kaption.images.inspect.ImageFormat;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ImageStoreTest {

    @Test
    void claimCheckObjectsAreNamedByTheirFormat() {
        assertThat(ImageStore.extension(ImageFormat.PNG)).isEqualTo("png");
        assertThat(ImageStore.extension(ImageFormat.JPEG)).isEqualTo("jpg");
        assertThat(ImageStore.extension(ImageFormat.GIF)).isEqualTo("gif");
        assertThat(ImageStore.extension(ImageFormat.BMP)).isEqualTo("bmp");
        assertThat(ImageStore.extension(ImageFormat.WEBP)).isEqualTo("webp");
    }

    @Test
    void logsNeverShowImageBytesOrUrlPaths() {
        assertThat(new ImageSource.Upload(new byte[12]).describe()).isEqualTo("upload of 12 bytes");
        assertThat(new ImageSource.Url("data:image/png;base64,AAAA").describe()).isEqualTo("data: URL");
        assertThat(new ImageSource.Url("https://cdn.example.com/private/cat.jpg?X-Amz-Signature=abc").describe())
                .isEqualTo("https URL on cdn.example.com");
    }
}
