package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.Objects;

/**
 * Value of {@code kaption.cancellations} (schema {@code kaption.cancellations/v1.json}): stop generating for
 * {@code requestId}. Every worker reads every cancellation; the one holding the request ends it with an error result
 * of code {@code cancelled}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Cancellation(String requestId, String reason) {

    /** The error code of the result of a cancelled request. */
    public static final String ERROR_CODE = "cancelled";

    public Cancellation {
        Objects.requireNonNull(requestId, "request_id");
    }
}
