package io.kaption.jobs.planning;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;
import java.time.Instant;

/**
 * What planning makes of one input record: the request for a worker, or, for a record that cannot become a valid
 * request, its {@code invalid_record} error result. Either way the record counts as planned.
 */
sealed interface PlannedRecord {

    String INVALID_RECORD = "invalid_record";
    /**
     * Largest encoded request planned: Kafka's default record limit is 1 MiB (producer {@code max.request.size},
     * broker {@code message.max.bytes}); a bigger one could never be published and would stall its job.
     */
    int MAX_REQUEST_BYTES = 1_000_000;

    String requestId();

    /** {@code value} is the request encoded for its topic. */
    record Request(GenerationRequest request, byte[] value) implements PlannedRecord {
        @Override
        public String requestId() {
            return request.requestId();
        }
    }

    record Refused(GenerationResult result) implements PlannedRecord {
        @Override
        public String requestId() {
            return result.requestId();
        }
    }

    /** {@code <job_id>-<n>}: deterministic, so a record planned again after a crash keeps its id. */
    static String requestId(String jobId, long n) {
        return jobId + "-" + n;
    }

    /**
     * The request of record {@code n} of {@code spec}: the template, overridden by the record's own fields
     * ({@code overrides}, may be null), plus the job's fields, validated like any request. {@code imageUrl} is null
     * for a conversation record (its images, if any, are in its {@code image_urls}).
     */
    static PlannedRecord of(JobSpec spec, long n, String recordId, String imageUrl, ObjectNode overrides,
                            Instant plannedAt) {
        ObjectNode tree = spec.template().deepCopy();
        if (overrides != null) {
            tree.setAll(overrides);
        }
        String requestId = requestId(spec.jobId(), n);
        tree.put("request_id", requestId);
        if (imageUrl != null) {
            tree.put("image_url", imageUrl);
        }
        tree.put("stream", false);
        tree.put("consumer_group", spec.consumerGroup());
        tree.put("job_id", spec.jobId());
        tree.put("record_id", recordId);
        tree.put("created_at", plannedAt.toString());
        GenerationRequest request;
        try {
            request = ContractCodec.REQUESTS.decode(tree);
        } catch (InvalidRecordException e) {
            return refused(spec, n, recordId, imageUrl, e.getMessage());
        }
        byte[] value = ContractCodec.REQUESTS.encode(request);
        if (value.length > MAX_REQUEST_BYTES) {
            return refused(spec, n, recordId, imageUrl, "the request is " + value.length + " bytes, more than the "
                    + MAX_REQUEST_BYTES + " a Kafka record may carry");
        }
        return new Request(request, value);
    }

    /** The {@code invalid_record} result of record {@code n}. */
    static PlannedRecord refused(JobSpec spec, long n, String recordId, String imageUrl, String reason) {
        return new Refused(new GenerationResult(requestId(spec.jobId(), n), null, FinishReason.ERROR, null,
                new GenerationResult.Failure(INVALID_RECORD, reason), spec.jobId(), recordId, null, null, null,
                imageUrl, false));
    }
}
