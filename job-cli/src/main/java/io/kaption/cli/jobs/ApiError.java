package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;

/**
 * A job API call that did not succeed: the service's {@code {"error":{"code","message"}}} answer with its HTTP status,
 * or no answer at all ({@code status} 0: the service could not be reached).
 */
public final class ApiError extends RuntimeException {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much of a body that is not the error shape is quoted. */
    private static final int QUOTED_BODY_CHARS = 200;

    private final int status;
    private final String code;

    private ApiError(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** The error of an HTTP answer with a status of 400 or more. */
    public static ApiError fromResponse(int status, String body) {
        try {
            JsonNode error = JSON.readTree(body).path("error");
            if (error.path("code").isTextual() && error.path("message").isTextual()) {
                return new ApiError(status, error.get("code").textValue(), error.get("message").textValue(), null);
            }
        } catch (IOException notJson) {
            // A proxy's or a crashed server's page: quoted below.
        }
        String quoted = body.strip();
        if (quoted.length() > QUOTED_BODY_CHARS) {
            quoted = quoted.substring(0, QUOTED_BODY_CHARS) + "…";
        }
        return new ApiError(status, "http_" + status, quoted.isEmpty() ? "(empty body)" : quoted, null);
    }

    /** The service could not be reached, or the connection broke before an answer. */
    public static ApiError unreachable(String baseUrl, Exception cause) {
        // The JDK HttpClient's ConnectException for a refused connection has no message.
        String detail = cause.getMessage() != null ? cause.getMessage()
                : cause instanceof ConnectException ? "connection refused" : cause.getClass().getSimpleName();
        return new ApiError(0, "unreachable", "cannot reach the ingest service at " + baseUrl + ": " + detail
                + " (set KAPTION_INGEST_URL or --url)", cause);
    }

    /** An answer of status 2xx that is not the JSON the API documents. */
    public static ApiError unexpectedAnswer(int status, String what) {
        return new ApiError(status, "unexpected_response", what, null);
    }

    /** HTTP status, 0 when there was no answer. */
    public int status() {
        return status;
    }

    /** The API's error code ({@code job_not_found}, …), {@code http_<status>} for an answer without one. */
    public String code() {
        return code;
    }

    /** True when asking again later may succeed: no answer, or the service (or a proxy) is temporarily unavailable. */
    public boolean isTransient() {
        return status == 0 || status == 502 || status == 503 || status == 504;
    }

    /** The line printed on stderr. */
    public String render() {
        return "kaption: " + code + ": " + getMessage() + (status == 0 ? "" : " (HTTP " + status + ")");
    }
}
