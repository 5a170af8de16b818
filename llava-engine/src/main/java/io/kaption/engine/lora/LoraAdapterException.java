package io.kaption.engine.lora;

/** A LoRA adapter that is unknown or cannot be used with this model; the message names the adapter (and file). */
public final class LoraAdapterException extends IllegalArgumentException {

    public LoraAdapterException(String message) {
        super(message);
    }

    public LoraAdapterException(String message, Throwable cause) {
        super(message, cause);
    }
}
