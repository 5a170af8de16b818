package io.kaption.ingest.http;

/** The {@code limit} query parameter of the OpenAI-style list endpoints (jobs, files, batches). */
public final class PageLimit {

    private PageLimit() {
    }

    /** {@code value} as a page size in 1..{@code max}; absent or empty: {@code fallback}; anything else is a 400. */
    public static int parse(String value, int fallback, int max) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("invalid_limit", "limit must be a whole number from 1 to " + max
                + ", got '" + value + "'");
    }
}
