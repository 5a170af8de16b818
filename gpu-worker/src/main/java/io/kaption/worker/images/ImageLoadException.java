package io.kaption.worker.images;

/**
 * Why a request's image could not be used.
 *
 * @see io.kaption.worker.publish.ErrorCodes#IMAGE_UNAVAILABLE
 * @see io.kaption.worker.publish.ErrorCodes#INVALID_IMAGE
 */
public final class ImageLoadException extends RuntimeException {

    private final String code;

    public ImageLoadException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** {@code image_unavailable} or {@code invalid_image}. */
    public String code() {
        return code;
    }
}
