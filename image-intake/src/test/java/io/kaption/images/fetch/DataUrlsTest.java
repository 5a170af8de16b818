package io.kaption.images.fetch;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class DataUrlsTest {

    private static final byte[] PNG = TestImages.png(3, 2);
    private static final String BASE64 = Base64.getEncoder().encodeToString(PNG);

    @Test
    void decodesBase64ImagePayload() {
        assertThat(DataUrls.decode("data:image/png;base64," + BASE64, 1024)).isEqualTo(PNG);
        assertThat(DataUrls.decode("DATA:Image/PNG;name=cat.png;BASE64," + BASE64, 1024)).isEqualTo(PNG);
    }

    @Test
    void ignoresLineBreaksInThePayload() {
        String wrapped = Base64.getMimeEncoder(16, "\r\n".getBytes()).encodeToString(PNG);
        assertThat(wrapped).contains("\r\n");

        assertThat(DataUrls.decode("data:image/png;base64," + wrapped, 1024)).isEqualTo(PNG);
    }

    @Test
    void refusesPayloadOverTheCapBeforeDecoding() {
        ImageIntakeException refusal = refuse("data:image/png;base64," + BASE64, PNG.length - 1);

        assertThat(refusal.code()).isEqualTo(Code.IMAGE_TOO_LARGE);
        assertThat(refusal.httpStatus()).isEqualTo(413);
        assertThat(DataUrls.decode("data:image/png;base64," + BASE64, PNG.length)).isEqualTo(PNG);
    }

    @ParameterizedTest
    @ValueSource(strings = {"data:text/plain;base64,aGVsbG8=", "data:;base64,aGVsbG8=", "data:image/;base64,aGVsbG8=",
            "data:application/octet-stream;base64,aGVsbG8="})
    void refusesNonImageMediaTypes(String url) {
        assertThat(refuse(url, 1024).code()).isEqualTo(Code.NOT_AN_IMAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"data:image/png,%89PNG", "data:image/png;base64", "data:image/png;base64,not*base64!",
            "data:image/png;base64,AAAAA", "https://example.test/cat.png"})
    void refusesMalformedDataUrls(String url) {
        assertThat(refuse(url, 1024).code()).isEqualTo(Code.INVALID_DATA_URL);
    }

    @Test
    void recognisesDataUrlsCaseInsensitively() {
        assertThat(DataUrls.isDataUrl("data:image/png;base64,")).isTrue();
        assertThat(DataUrls.isDataUrl("DaTa:image/png;base64,")).isTrue();
        assertThat(DataUrls.isDataUrl("https://example.test/data:")).isFalse();
    }

    private static ImageIntakeException refuse(String url, long maxBytes) {
        ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class, () -> DataUrls.decode(url, maxBytes));
        assertThat(refusal).as("decoding %s must be refused", url).isNotNull();
        return refusal;
    }
}
