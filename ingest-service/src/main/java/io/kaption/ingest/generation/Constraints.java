package io.kaption.ingest.generation;

import io.kaption.constraints.ConstraintCache;
import io.kaption.constraints.ConstraintException;
import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.GenerationRequest;

/**
 * Compiles a request's {@code regex_string} / {@code json_schema} the way the worker will, so that an invalid or
 * unsupported constraint is the client's 400 now rather than a failed result later.
 */
public final class Constraints {

    private static final ConstraintCache CACHE = new ConstraintCache(256);

    private Constraints() {
    }

    /**
     * @param schemaField what the client called the schema ({@code json_schema}, or
     *                    {@code response_format.json_schema.schema} on the OpenAI endpoint), named in the message
     * @throws ApiException 400 {@code invalid_request} with the reason
     */
    public static void check(GenerationRequest draft, String schemaField) {
        try {
            CACHE.of(draft.regexString(), draft.jsonSchema());
        } catch (ConstraintException e) {
            String message = e.getMessage();
            if (!schemaField.equals("json_schema") && message.startsWith("json_schema")) {
                message = schemaField + message.substring("json_schema".length());
            }
            throw ApiException.badRequest("invalid_request", message);
        }
    }
}
