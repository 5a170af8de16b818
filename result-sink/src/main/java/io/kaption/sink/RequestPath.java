package io.kaption.sink;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A request resource named by a URL path: {@code /v1/requests/{id}} (its result) or
 * {@code /v1/requests/{id}/events} (its event stream). The id is one path segment, percent-decoded, so any request id
 * can be named ({@code /} as {@code %2F}).
 */
record RequestPath(String requestId, boolean events) {

    static final String PREFIX = "/v1/requests/";
    private static final String EVENTS_SUFFIX = "/events";
    /** The contract's limit on {@code request_id}. */
    static final int MAX_REQUEST_ID_LENGTH = 256;

    /**
     * The resource {@code rawPath} names, or null if it names none.
     *
     * @throws IllegalArgumentException if the id is not valid percent-encoding or longer than the contract allows
     */
    static RequestPath parse(String rawPath) {
        if (!rawPath.startsWith(PREFIX)) {
            return null;
        }
        String rest = rawPath.substring(PREFIX.length());
        boolean events = rest.endsWith(EVENTS_SUFFIX);
        String rawId = events ? rest.substring(0, rest.length() - EVENTS_SUFFIX.length()) : rest;
        if (rawId.isEmpty() || rawId.contains("/")) {
            return null;
        }
        // URLDecoder decodes forms, where '+' is a space; in a path it is a plus.
        String requestId = URLDecoder.decode(rawId.replace("+", "%2B"), StandardCharsets.UTF_8);
        // JSON Schema's maxLength counts code points, not UTF-16 units.
        if (requestId.codePointCount(0, requestId.length()) > MAX_REQUEST_ID_LENGTH) {
            throw new IllegalArgumentException("a request id has at most " + MAX_REQUEST_ID_LENGTH + " characters");
        }
        return new RequestPath(requestId, events);
    }
}
