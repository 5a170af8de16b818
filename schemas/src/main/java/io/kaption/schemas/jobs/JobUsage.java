package io.kaption.schemas.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Token totals of a job's completed records (64-bit: a job of millions of images passes 2^31 tokens). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobUsage(long promptTokens, long completionTokens, long totalTokens) {

    public static final JobUsage NONE = new JobUsage(0, 0, 0);

    public JobUsage plus(long prompt, long completion) {
        return new JobUsage(promptTokens + prompt, completionTokens + completion,
                totalTokens + prompt + completion);
    }
}
