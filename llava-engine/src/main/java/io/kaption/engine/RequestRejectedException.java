package io.kaption.engine;

import java.util.Objects;

/** A request that cannot run, with the kind of problem; the message says what is wrong with it. */
public final class RequestRejectedException extends IllegalArgumentException {

    private final FailureKind kind;

    public RequestRejectedException(FailureKind kind, String message) {
        this(kind, message, null);
    }

    public RequestRejectedException(FailureKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public FailureKind kind() {
        return kind;
    }
}
