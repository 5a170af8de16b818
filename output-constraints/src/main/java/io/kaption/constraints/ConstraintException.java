package io.kaption.constraints;

/**
 * A {@code regex_string} or {@code json_schema} that is invalid or outside the supported subset; the message names
 * the field and says why, for the client's 400 / {@code invalid_request}.
 */
public final class ConstraintException extends IllegalArgumentException {

    public ConstraintException(String message) {
        super(message);
    }
}
