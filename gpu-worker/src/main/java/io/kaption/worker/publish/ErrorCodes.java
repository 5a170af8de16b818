package io.kaption.worker.publish;

import io.kaption.engine.FailureKind;
import io.kaption.schemas.Cancellation;

/** The stable {@code error.code} values of the worker's failed results (see gpu-worker/README.md). */
public final class ErrorCodes {

    /** The request cannot run as asked (a bad prompt, inconsistent sampling fields, an unknown or bad LoRA adapter). */
    public static final String INVALID_REQUEST = "invalid_request";
    /** The image could not be obtained: not found, not allowed, fetch failed or timed out. */
    public static final String IMAGE_UNAVAILABLE = "image_unavailable";
    /** The image was obtained but is not one the worker can use: not an image, corrupt, too large. */
    public static final String INVALID_IMAGE = "invalid_image";
    /** The prompt exceeds {@code prompt_max_tokens}, or with {@code max_new_tokens} the model's positions. */
    public static final String PROMPT_TOO_LONG = "prompt_too_long";
    /** The engine failed while running the request's batch. */
    public static final String INFERENCE_FAILED = "inference_failed";
    /** A cancellation arrived for the request, or the worker shut down while it was running. */
    public static final String CANCELLED = Cancellation.ERROR_CODE;

    private ErrorCodes() {}

    public static String of(FailureKind kind) {
        return switch (kind) {
            case INVALID_IMAGE -> INVALID_IMAGE;
            case INVALID_PROMPT, INVALID_ADAPTER -> INVALID_REQUEST;
            case PROMPT_TOO_LONG -> PROMPT_TOO_LONG;
            case INFERENCE_FAILED -> INFERENCE_FAILED;
        };
    }
}
