package io.kaption.worker.images;

import io.kaption.engine.vision.preprocess.ImageDecoder;
import io.kaption.engine.vision.preprocess.ImageDecodingException;
import io.kaption.images.DecodedAdmittedImage;
import io.kaption.images.ImageIntake;
import io.kaption.images.ImageIntakeException;
import io.kaption.worker.publish.ErrorCodes;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.Set;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A request's {@code image_url} to admitted image bytes: {@code data:} and {@code http(s)://} through
 * {@link ImageIntake} (the SSRF-safe fetcher; remote URLs only when {@code TAKEOFF_ALLOW_REMOTE_IMAGES} allows),
 * {@code s3://bucket/key} through the S3 client; every image then passes intake's admission checks. Thread-safe.
 */
public final class ImageLoader {

    private static final String S3_SCHEME = "s3://";

    /** Intake refusals that mean the bytes are there but unusable; every other refusal means they are unavailable. */
    private static final Set<ImageIntakeException.Code> INVALID = EnumSet.of(
            ImageIntakeException.Code.INVALID_DATA_URL, ImageIntakeException.Code.IMAGE_TOO_LARGE,
            ImageIntakeException.Code.NOT_AN_IMAGE, ImageIntakeException.Code.UNSUPPORTED_IMAGE_FORMAT,
            ImageIntakeException.Code.IMAGE_DIMENSIONS_TOO_LARGE, ImageIntakeException.Code.CORRUPT_IMAGE);

    private final ImageIntake intake;
    private final S3Client s3;

    /** Owns neither. */
    public ImageLoader(ImageIntake intake, S3Client s3) {
        this.intake = intake;
        this.s3 = s3;
    }

    /** {@code KAPTION_MAX_IMAGES_PER_REQUEST}: the most images one request may carry. */
    public int maxImagesPerRequest() {
        return intake.config().maxImagesPerRequest();
    }

    /**
     * @return the admitted image, with the pixels admission decoded turned into the engine's RGB (decoding it a
     *         second time for the engine would double the worker's image work)
     * @throws ImageLoadException with code {@code image_unavailable} or {@code invalid_image}; the message names
     *                            the intake code, the S3 error or what the engine cannot use, never the image bytes
     */
    public LoadedImage load(String url) {
        DecodedAdmittedImage image;
        try {
            image = url.regionMatches(true, 0, S3_SCHEME, 0, S3_SCHEME.length())
                    ? intake.admitDecoded(readS3(url))
                    : intake.loadUrlDecoded(url);
        } catch (ImageIntakeException e) {
            String code = INVALID.contains(e.code()) ? ErrorCodes.INVALID_IMAGE : ErrorCodes.IMAGE_UNAVAILABLE;
            throw new ImageLoadException(code, e.code().code() + ": " + e.getMessage(), e);
        }
        byte[] bytes = image.image().bytes();
        try {
            return new LoadedImage(bytes, ImageDecoder.decode(bytes, image.pixels(), image.image().format().name()));
        } catch (ImageDecodingException e) {
            throw new ImageLoadException(ErrorCodes.INVALID_IMAGE, e.getMessage(), e);
        }
    }

    private byte[] readS3(String url) {
        String path = url.substring(S3_SCHEME.length());
        int slash = path.indexOf('/');
        if (slash <= 0 || slash == path.length() - 1) {
            throw new ImageLoadException(ErrorCodes.IMAGE_UNAVAILABLE, url + ": not an s3://bucket/key URL", null);
        }
        String bucket = path.substring(0, slash);
        String key = path.substring(slash + 1);
        long maxBytes = intake.config().maxBytes();
        try (ResponseInputStream<GetObjectResponse> object = s3.getObject(
                GetObjectRequest.builder().bucket(bucket).key(key).build())) {
            Long length = object.response().contentLength();
            if (length != null && length > maxBytes) {
                throw tooLarge(url, maxBytes);
            }
            byte[] bytes = readAtMost(object, maxBytes);
            if (bytes == null) {
                throw tooLarge(url, maxBytes);
            }
            return bytes;
        } catch (S3Exception e) {
            String error = e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                    ? e.awsErrorDetails().errorCode() : "HTTP " + e.statusCode();
            throw new ImageLoadException(ErrorCodes.IMAGE_UNAVAILABLE, url + ": " + error, e);
        } catch (SdkException | IOException e) {
            throw new ImageLoadException(ErrorCodes.IMAGE_UNAVAILABLE, url + ": " + e.getMessage(), e);
        }
    }

    /** The whole stream, or null when it holds more than {@code maxBytes}. */
    private static byte[] readAtMost(InputStream in, long maxBytes) throws IOException {
        byte[] bytes = in.readNBytes((int) maxBytes + 1);
        return bytes.length > maxBytes ? null : bytes;
    }

    private static ImageLoadException tooLarge(String url, long maxBytes) {
        return new ImageLoadException(ErrorCodes.INVALID_IMAGE,
                ImageIntakeException.Code.IMAGE_TOO_LARGE.code() + ": " + url + " is larger than " + maxBytes
                        + " bytes", null);
    }
}
