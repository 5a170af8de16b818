package io.kaption.ingest.generation;

import io.kaption.images.ImageIntakeException;
import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationResult;

import java.util.Arrays;
import java.util.Set;

/** The HTTP error a failed result stands for; the result's code is kept as the error code. */
public final class ResultFailures {

    /** Nginx's "client closed request": the request was cancelled before it finished. */
    public static final int CANCELLED_STATUS = 499;

    // Codes of the contract (schemas/README.md) that mean the request itself cannot be served.
    private static final Set<String> REQUEST_PROBLEMS = Set.of("invalid_request", "image_unavailable",
            "prompt_too_long");

    private ResultFailures() {
    }

    public static ApiException toApiException(GenerationResult.Failure failure) {
        return new ApiException(status(failure.code()), failure.code(), failure.message());
    }

    static int status(String code) {
        if (code.equals(Cancellation.ERROR_CODE)) {
            return CANCELLED_STATUS;
        }
        if (REQUEST_PROBLEMS.contains(code)) {
            return 422;
        }
        // A worker refusing an image uses image intake's codes; they keep the status ingest would have given.
        return Arrays.stream(ImageIntakeException.Code.values())
                .filter(known -> known.code().equals(code))
                .findFirst()
                .map(ImageIntakeException.Code::httpStatus)
                .orElse(500);
    }
}
