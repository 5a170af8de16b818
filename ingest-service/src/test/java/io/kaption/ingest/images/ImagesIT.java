package io.kaption.ingest.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.ingest.support.Multipart;
import io.kaption.ingest.support.TestImages;
import io.kaption.localstack.junit.SharedInfrastructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where images go: inline as {@code data:} URLs up to the inline limit, into S3 beyond it (claim check); remote images
 * only when switched on, fetched from an allow-listed loopback server here.
 */
@ExtendWith(SharedInfrastructure.class)
class ImagesIT {

    private static final int INLINE_LIMIT = 4096;
    private static final int IMAGE_LIMIT = 200_000;

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("images", Map.of(
                "KAPTION_INLINE_IMAGE_MAX_BYTES", String.valueOf(INLINE_LIMIT),
                "KAPTION_REMOTE_IMAGE_MAX_BYTES", String.valueOf(IMAGE_LIMIT)));
        group = ingest.group();
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void theBucketIsCreatedAtStart() {
        assertThat(SharedInfrastructure.s3Client().headBucket(b -> b.bucket(ingest.bucket())).sdkHttpResponse()
                .isSuccessful()).isTrue();
    }

    @Test
    void anImageOverTheInlineLimitIsStoredInS3AndTheRecordCarriesItsS3Url() throws Exception {
        byte[] png = TestImages.noisyPng(64, 64);
        assertThat(png.length).isGreaterThan(INLINE_LIMIT).isLessThan(IMAGE_LIMIT);
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "noise.png", png);
        ingest.sendAsync(ingest.multipartRequest("/image_generate", id, form));

        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png));
        String key = "requests/" + id + "/" + sha256 + ".png";
        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("image_url").textValue()).isEqualTo("s3://" + ingest.bucket() + "/" + key);

        ResponseBytes<GetObjectResponse> stored =
                SharedInfrastructure.s3Client().getObjectAsBytes(b -> b.bucket(ingest.bucket()).key(key));
        assertThat(stored.asByteArray()).isEqualTo(png);
        assertThat(stored.response().contentType()).isEqualTo("image/png");
    }

    @Test
    void aDataUrlImageIsAdmittedAndCarriedInline() {
        byte[] png = TestImages.smallPng(10, 10);
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        String id = newRequestId();
        ingest.sendAsync(ingest.jsonRequest("/generate", id,
                "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\",\"image_url\":\"" + dataUrl + "\"}"));

        assertThat(ingest.awaitRequest(id).get("image_url").textValue()).isEqualTo(dataUrl);
    }

    @Test
    void bytesThatAreNoImageAreRefusedAndNothingIsPublished() {
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "notes.txt", "just text".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = ingest.send(ingest.multipartRequest("/image_generate", id, form));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"not_an_image\","
                + "\"message\":\"data is not an image (expected PNG, JPEG, GIF, BMP or WebP)\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void anImageOverTheImageLimitIs413() {
        byte[] png = TestImages.noisyPng(300, 300);
        assertThat(png.length).isGreaterThan(IMAGE_LIMIT);
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "big.png", png);
        HttpResponse<String> response = ingest.send(ingest.multipartRequest("/image_generate", id, form));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"image_too_large\","
                + "\"message\":\"image is larger than " + IMAGE_LIMIT + " bytes\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void remoteImagesAreOffByDefault() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/generate", id,
                "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\","
                        + "\"image_url\":\"https://images.example.com/cat.jpg\"}"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"remote_images_disabled\",\"message\":"
                + "\"remote image URLs are disabled on this server (TAKEOFF_ALLOW_REMOTE_IMAGES=false); send the image "
                + "inline as a data: URL\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void inlineImageTagsAreOffByDefault() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/generate", id,
                "{\"text\":\"<image:https://images.example.com/cat.jpg> What is this?\",\"consumer_group\":\""
                        + group + "\"}"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"remote_images_disabled\",\"message\":"
                + "\"inline <image:URL> tags are disabled; set TAKEOFF_ALLOW_REMOTE_IMAGES=true to allow them\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void withRemoteImagesOnAnInlineTagIsFetchedCutFromThePromptAndBecomesTheImage() throws Exception {
        byte[] png = TestImages.smallPng(20, 20);
        HttpServer images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/cat.png", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, png.length);
            exchange.getResponseBody().write(png);
            exchange.close();
        });
        images.start();
        String host = "127.0.0.1:" + images.getAddress().getPort();
        try (IngestFixture remote = IngestFixture.start("remote-images", Map.of(
                "TAKEOFF_ALLOW_REMOTE_IMAGES", "true",
                "KAPTION_REMOTE_IMAGE_ALLOWED_HOSTS", host))) {
            String id = newRequestId();
            remote.sendAsync(remote.jsonRequest("/image_generate", id,
                    "{\"text\":[\"<image:http://" + host + "/cat.png> What is this?\",\"And its colour?\"],"
                            + "\"consumer_group\":\"" + remote.group() + "\"}"));

            JsonNode record = remote.awaitRequest(id);
            assertThat(record.get("text")).isEqualTo(json("[\"What is this?\",\"And its colour?\"]"));
            assertThat(record.get("image_url").textValue())
                    .isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(png));
        } finally {
            images.stop(0);
        }
    }
}
