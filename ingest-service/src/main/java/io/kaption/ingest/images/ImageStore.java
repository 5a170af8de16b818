package io.kaption.ingest.images;

import io.kaption.images.AdmittedImage;
import io.kaption.images.ImageIntake;
import io.kaption.images.inspect.ImageFormat;
import io.kaption.ingest.http.ApiException;
import io.kaption.kit.s3.BucketOnDemand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Turns a request's image into the {@code image_url} of its Kafka record. Every image is admitted by image intake first
 * (remote images fetched under its SSRF rules). Small images travel inside the record as a {@code data:} URL; larger ones
 * are stored in S3 under {@code requests/<request_id>/<sha256>.<ext>} and the record carries the {@code s3://} URL
 * (claim check), which keeps records far below Kafka's message size limit.
 *
 * <p>Blocking (fetching, S3): call from a worker thread. Thread-safe.
 */
public final class ImageStore {

    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);

    private final ImageIntake intake;
    private final S3Client s3;
    private final String bucket;
    private final int inlineMaxBytes;
    private final BucketOnDemand imageBucket;

    public ImageStore(ImageIntake intake, S3Client s3, String bucket, int inlineMaxBytes) {
        this.intake = intake;
        this.s3 = s3;
        this.bucket = bucket;
        this.inlineMaxBytes = inlineMaxBytes;
        this.imageBucket = new BucketOnDemand(s3, bucket, "image");
    }

    /** The image bucket exists (see {@link BucketOnDemand}); called at start and again before a claim check. */
    public boolean ensureBucket() {
        return imageBucket.ensure();
    }

    /** {@code KAPTION_MAX_IMAGES_PER_REQUEST}: the most images one request may carry. */
    public int maxImagesPerRequest() {
        return intake.config().maxImagesPerRequest();
    }

    /** Admits the image and returns the URL the record carries: {@code data:image/...} or {@code s3://...}. */
    public String store(String requestId, ImageSource source) {
        AdmittedImage image = source instanceof ImageSource.Upload upload
                ? intake.admit(upload.bytes())
                : intake.loadUrl(((ImageSource.Url) source).url());
        if (image.bytes().length <= inlineMaxBytes) {
            LOG.info("request_id={} image ({}) admitted: {} {}x{}, {} bytes, sent inline", requestId,
                    source.describe(), image.format().mediaType(), image.width(), image.height(), image.bytes().length);
            return "data:" + image.format().mediaType() + ";base64," + Base64.getEncoder().encodeToString(image.bytes());
        }
        String key = "requests/" + requestId + "/" + sha256(image.bytes()) + "." + extension(image.format());
        if (!ensureBucket()) {
            throw new ApiException(503, "image_store_unavailable",
                    "the image is too large to send inline and the image store (S3) is not reachable");
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType(image.format().mediaType()),
                    RequestBody.fromBytes(image.bytes()));
        } catch (S3Exception e) {
            throw new ApiException(503, "image_store_unavailable", "storing the image in S3 failed: "
                    + e.awsErrorDetails().errorCode(), e);
        } catch (SdkException e) {
            throw new ApiException(503, "image_store_unavailable", "storing the image in S3 failed", e);
        }
        LOG.info("request_id={} image ({}) admitted: {} {}x{}, {} bytes, stored as s3://{}/{}", requestId,
                source.describe(), image.format().mediaType(), image.width(), image.height(), image.bytes().length,
                bucket, key);
        return "s3://" + bucket + "/" + key;
    }

    /** The file name extension of the claim-check object. */
    static String extension(ImageFormat format) {
        return switch (format) {
            case PNG -> "png";
            case JPEG -> "jpg";
            case GIF -> "gif";
            case BMP -> "bmp";
            case WEBP -> "webp";
        };
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
