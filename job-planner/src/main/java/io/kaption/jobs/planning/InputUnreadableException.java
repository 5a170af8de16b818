package io.kaption.jobs.planning;

/**
 * A job's input cannot be read, and trying again will not change that: its plan ends with {@code error}.
 * {@code code} is {@value #NOT_FOUND} or {@value #UNREADABLE}.
 */
final class InputUnreadableException extends Exception {

    static final String NOT_FOUND = "input_not_found";
    static final String UNREADABLE = "input_unreadable";

    private final String code;

    InputUnreadableException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    String code() {
        return code;
    }
}
