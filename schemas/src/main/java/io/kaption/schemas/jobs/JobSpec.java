package io.kaption.schemas.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * Value of {@code kaption.jobs} (schema {@code kaption.jobs/v1.json}): a submitted bucket job. {@code template} holds
 * the Takeoff {@code json_data} fields (prompt and sampling) every record's request starts from. {@code owner} is the
 * fingerprint of the API key that submitted it ({@code null} when the ingest service ran without keys).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSpec(
        String jobId,
        String input,
        InputFormat inputFormat,
        String output,
        ObjectNode template,
        String consumerGroup,
        String clientToken,
        Instant createdAt,
        String owner) {

    public JobSpec {
        Objects.requireNonNull(jobId, "job_id");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(inputFormat, "input_format");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(consumerGroup, "consumer_group");
        Objects.requireNonNull(createdAt, "created_at");
    }

    /** A job submitted without API keys: no owner. */
    public JobSpec(String jobId, String input, InputFormat inputFormat, String output, ObjectNode template,
                   String consumerGroup, String clientToken, Instant createdAt) {
        this(jobId, input, inputFormat, output, template, consumerGroup, clientToken, createdAt, null);
    }
}
