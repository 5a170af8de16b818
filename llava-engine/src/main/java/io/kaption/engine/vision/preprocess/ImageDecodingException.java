package io.kaption.engine.vision.preprocess;

/** The bytes of a request image could not be turned into an RGB image; the message says why. */
public class ImageDecodingException extends IllegalArgumentException {

    public ImageDecodingException(String message) {
        super(message);
    }

    public ImageDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
