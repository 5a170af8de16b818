package io.kaption.ingest.http;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request ids: a client's {@code X-Request-Id} when it is usable, else a random UUID. The id becomes the Kafka key,
 * part of S3 keys and of the sink's URLs, so only URL- and key-safe characters are accepted.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private RequestIds() {
    }

    /** The client's id if it sent one, a new UUID if not; a malformed header is a 400, not silently replaced. */
    public static String fromHeader(Optional<String> header) {
        if (header.isEmpty()) {
            return UUID.randomUUID().toString();
        }
        String id = header.get().strip();
        if (!VALID.matcher(id).matches()) {
            throw ApiException.badRequest("invalid_request_id", HEADER + " must be 1 to " + MAX_LENGTH
                    + " characters of [A-Za-z0-9._:-]");
        }
        // Dot segments: a URL client resolves the sink's .../v1/requests/../events to /v1/events.
        if (id.equals(".") || id.equals("..")) {
            throw ApiException.badRequest("invalid_request_id", HEADER + " must not be '.' or '..'");
        }
        return id;
    }
}
