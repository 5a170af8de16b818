package io.kaption.ingest.http;

import io.kaption.images.ImageIntakeException;

/**
 * A request that ends in an HTTP error: the status and the body {@code {"error":{"code","message"}}}. {@code code} is
 * stable lower snake case that clients may branch on; {@code message} is for people and never carries image bytes.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public ApiException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException unprocessable(String code, String message) {
        return new ApiException(422, code, message);
    }

    /** An image refusal with image intake's own code and status. */
    public static ApiException of(ImageIntakeException e) {
        return new ApiException(e.httpStatus(), e.code().code(), e.getMessage(), e);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
