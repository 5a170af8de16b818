package io.kaption.images;

/**
 * Why an image was refused. Callers turn it into {@code {"error":{"code","message"}}} with {@link Code#httpStatus()};
 * the message is meant for the requester and never carries image bytes or resolved internal addresses.
 */
public final class ImageIntakeException extends RuntimeException {

    /** Stable machine codes: clients may branch on them, so they never change once released. */
    public enum Code {
        REMOTE_IMAGES_DISABLED("remote_images_disabled", 400),
        INVALID_URL("invalid_url", 400),
        UNSUPPORTED_SCHEME("unsupported_scheme", 400),
        FORBIDDEN_ADDRESS("forbidden_address", 400),
        INVALID_DATA_URL("invalid_data_url", 400),
        PATH_NOT_ALLOWED("path_not_allowed", 400),
        IMAGE_NOT_FOUND("image_not_found", 400),
        IMAGE_TOO_LARGE("image_too_large", 413),
        NOT_AN_IMAGE("not_an_image", 422),
        UNSUPPORTED_IMAGE_FORMAT("unsupported_image_format", 422),
        IMAGE_DIMENSIONS_TOO_LARGE("image_dimensions_too_large", 422),
        CORRUPT_IMAGE("corrupt_image", 422),
        TOO_MANY_REDIRECTS("too_many_redirects", 502),
        FETCH_FAILED("fetch_failed", 502),
        FETCH_TIMEOUT("fetch_timeout", 504);

        private final String code;
        private final int httpStatus;

        Code(String code, int httpStatus) {
            this.code = code;
            this.httpStatus = httpStatus;
        }

        /** The wire value, e.g. {@code forbidden_address}. */
        public String code() {
            return code;
        }

        /** The HTTP status an API should answer with. */
        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Code code;

    public ImageIntakeException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public ImageIntakeException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public int httpStatus() {
        return code.httpStatus();
    }
}
