package io.kaption.engine.weights;

/**
 * A PyTorch {@code .bin} checkpoint that Kaption will not or cannot read: a pickle naming anything a state dict does
 * not need, a legacy (pre-1.6) file, a truncated or inconsistent archive. The message names the file.
 */
public final class TorchCheckpointException extends IllegalArgumentException {

    public TorchCheckpointException(String message) {
        super(message);
    }

    public TorchCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
