package io.kaption.ingest.batches;

import io.kaption.ingest.jobs.S3Location;
import io.kaption.kit.env.Env;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of the OpenAI Files and Batch APIs.
 *
 * @param files            where uploaded and written files, batches and their bucket jobs' files live
 *                         ({@code KAPTION_FILES_URI}, an {@code s3://bucket/prefix/})
 * @param maxFileBytes     largest upload ({@code KAPTION_FILES_MAX_BYTES}; 413 above)
 * @param completionWindow how long a batch may run before it ends {@code expired}: clients send
 *                         {@code completion_window: "24h"}, the only value accepted; a shorter value is for tests
 *                         ({@code KAPTION_BATCH_WINDOW_SECONDS})
 */
public record BatchApiConfig(S3Location files, int maxFileBytes, Duration completionWindow) {

    public static final String FILES_URI = "KAPTION_FILES_URI";
    public static final String FILES_MAX_BYTES = "KAPTION_FILES_MAX_BYTES";
    public static final String WINDOW_SECONDS = "KAPTION_BATCH_WINDOW_SECONDS";

    public static final String DEFAULT_FILES_URI = "s3://kaption-files/";
    /** Files are read into memory whole (to validate every line), so the cap is lower than OpenAI's 200 MB. */
    public static final int DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
    public static final Duration DEFAULT_COMPLETION_WINDOW = Duration.ofHours(24);

    public BatchApiConfig {
        Env.requirePositive(FILES_MAX_BYTES, maxFileBytes);
        Env.requirePositive(WINDOW_SECONDS, completionWindow.toSeconds());
    }

    public static BatchApiConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        String uri = env.string(FILES_URI, DEFAULT_FILES_URI);
        S3Location files;
        try {
            files = S3Location.parse(uri.endsWith("/") ? uri : uri + "/");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FILES_URI + " " + e.getMessage(), e);
        }
        return new BatchApiConfig(files, env.integer(FILES_MAX_BYTES, DEFAULT_MAX_FILE_BYTES),
                env.seconds(WINDOW_SECONDS, DEFAULT_COMPLETION_WINDOW));
    }
}
