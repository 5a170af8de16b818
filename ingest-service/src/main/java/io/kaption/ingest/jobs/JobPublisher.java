package io.kaption.ingest.jobs;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;

import java.util.concurrent.CompletableFuture;

/**
 * Writes job specs to {@code kaption.jobs} and job cancellations to {@code kaption.cancellations}, keyed by job id,
 * validated against the contract on the way out. The futures complete once Kafka acknowledged the record (the
 * producer has {@code acks=all}) and fail with the HTTP error to answer. {@code send} may block for topic metadata up
 * to the producer's {@code max.block.ms}: call from a worker thread.
 */
final class JobPublisher {

    static final String CANCELLED_BY_USER = "cancelled_by_user";

    private final Producer<String, byte[]> producer;

    JobPublisher(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    CompletableFuture<Void> publish(JobSpec spec) {
        return send(Topics.JOBS, spec.jobId(), ContractCodec.JOBS.encode(spec));
    }

    CompletableFuture<Void> cancel(String jobId) {
        return send(Topics.CANCELLATIONS, jobId,
                ContractCodec.CANCELLATIONS.encode(Cancellation.ofJob(jobId, CANCELLED_BY_USER)));
    }

    private CompletableFuture<Void> send(String topic, String jobId, byte[] value) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic, jobId, value), (metadata, error) -> {
                if (error != null) {
                    acknowledged.completeExceptionally(failure(error));
                } else {
                    acknowledged.complete(null);
                }
            });
        } catch (RuntimeException e) {
            acknowledged.completeExceptionally(failure(e));
        }
        return acknowledged;
    }

    private static ApiException failure(Throwable error) {
        if (error instanceof RecordTooLargeException) {
            return new ApiException(413, "request_too_large", "the job is larger than Kafka accepts ("
                    + error.getMessage() + "); send a smaller template", error);
        }
        return new ApiException(503, "kafka_unavailable", "Kafka did not take the job in time: "
                + error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage()),
                error);
    }
}
