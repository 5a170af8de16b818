package io.kaption.images;

import io.kaption.images.fetch.DataUrls;
import io.kaption.images.fetch.HostResolver;
import io.kaption.images.fetch.RemoteImageFetcher;
import io.kaption.images.inspect.DecodedImage;
import io.kaption.images.inspect.ImageInspector;
import io.kaption.images.inspect.InspectedImage;
import io.kaption.images.paths.ImagePaths;

import java.io.IOException;

/**
 * The one entry point for services: turns an image reference from a request or a Kafka record into admitted bytes.
 * {@code data:image/...;base64,...} is decoded, {@code http(s)://} is fetched (when remote images are enabled),
 * {@code image_paths} are read from under the configured root; every image is then inspected.
 *
 * <p>Thread-safe. Every refusal is an {@link ImageIntakeException} carrying a stable code and an HTTP status.
 */
public final class ImageIntake implements AutoCloseable {

    private final ImageIntakeConfig config;
    private final RemoteImageFetcher fetcher;
    private final ImagePaths paths;
    private final ImageInspector inspector;

    public ImageIntake(ImageIntakeConfig config) {
        this(config, HostResolver.system());
    }

    public ImageIntake(ImageIntakeConfig config, HostResolver resolver) {
        this.config = config;
        this.fetcher = new RemoteImageFetcher(config, resolver);
        this.paths = new ImagePaths(config.imagePathsRoot(), config.maxBytes());
        this.inspector = new ImageInspector(config.maxPixels());
    }

    /** Configured from the process environment. */
    public static ImageIntake fromEnvironment() {
        return new ImageIntake(ImageIntakeConfig.fromEnvironment());
    }

    /** An image URL: {@code data:image/...;base64,...} or {@code http(s)://...}; any other scheme is refused. */
    public AdmittedImage loadUrl(String url) {
        return loadUrlDecoded(url).image();
    }

    /** Like {@link #loadUrl}, keeping the pixels admission decoded. */
    public DecodedAdmittedImage loadUrlDecoded(String url) {
        byte[] bytes = DataUrls.isDataUrl(url)
                ? DataUrls.decode(url, config.maxBytes())
                : fetcher.fetch(url).bytes();
        return admitDecoded(bytes);
    }

    /** A server-side file named by {@code image_paths}, absolute or relative to the configured root. */
    public AdmittedImage loadPath(String path) {
        return admit(paths.read(path));
    }

    /** Bytes that arrived some other way (e.g. a multipart upload), checked like every other image. */
    public AdmittedImage admit(byte[] bytes) {
        return admitDecoded(bytes).image();
    }

    /** Like {@link #admit}, keeping the pixels admission decoded. */
    public DecodedAdmittedImage admitDecoded(byte[] bytes) {
        if (bytes.length > config.maxBytes()) {
            throw new ImageIntakeException(ImageIntakeException.Code.IMAGE_TOO_LARGE,
                    "image is larger than " + config.maxBytes() + " bytes");
        }
        DecodedImage decoded = inspector.decode(bytes);
        InspectedImage info = decoded.info();
        return new DecodedAdmittedImage(new AdmittedImage(bytes, info.format(), info.width(), info.height()),
                decoded.pixels());
    }

    public ImageIntakeConfig config() {
        return config;
    }

    @Override
    public void close() throws IOException {
        fetcher.close();
    }
}
