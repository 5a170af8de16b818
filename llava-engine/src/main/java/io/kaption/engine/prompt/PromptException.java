package io.kaption.engine.prompt;

/** A prompt cannot be built: bad user input or a template that refuses it; the message says which. */
public class PromptException extends IllegalArgumentException {

    public PromptException(String message) {
        super(message);
    }

    public PromptException(String message, Throwable cause) {
        super(message, cause);
    }
}
