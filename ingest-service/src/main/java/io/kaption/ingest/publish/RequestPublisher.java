package io.kaption.ingest.publish;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes requests to {@code kaption.requests.<group>} and cancellations to {@code kaption.cancellations}, keyed by
 * request id, validated against the contract on the way out.
 */
public final class RequestPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RequestPublisher.class);

    private final Producer<String, byte[]> producer;
    private final Admin admin;
    private final Duration timeout;
    private final ExecutorService cancellations = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "kaption-ingest-cancellations");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param producer a producer whose {@code max.block.ms} and {@code delivery.timeout.ms} are the publish timeout, so
     *                 that a request Kafka does not take in time fails instead of waiting
     */
    public RequestPublisher(Producer<String, byte[]> producer, Admin admin, Duration timeout) {
        this.producer = producer;
        this.admin = admin;
        this.timeout = timeout;
    }

    /**
     * Sends {@code request}; the future completes once Kafka acknowledged it, or fails with 503 {@code kafka_unavailable}.
     * May block up to the publish timeout for topic metadata: call from a worker thread.
     */
    public CompletableFuture<Void> publish(GenerationRequest request) {
        byte[] value = ContractCodec.REQUESTS.encode(request);
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(request.topic(), request.requestId(), value), (metadata, error) -> {
                if (error != null) {
                    acknowledged.completeExceptionally(publishFailure(error));
                } else {
                    // At DEBUG: the access log line already says the request was accepted (202, or its answer, only
                    // after this acknowledgement); two INFO lines per request were a tenth to a sixth of the
                    // ingest's CPU at 10,000 requests/s (docs/PERFORMANCE.md).
                    LOG.debug("request_id={} published to {}-{}@{}", request.requestId(), metadata.topic(),
                            metadata.partition(), metadata.offset());
                    acknowledged.complete(null);
                }
            });
        } catch (RuntimeException e) {
            acknowledged.completeExceptionally(publishFailure(e));
        }
        return acknowledged;
    }

    /**
     * Asks the workers to stop {@code requestId}; best effort, failures are logged. The future completes once Kafka
     * acknowledged the cancellation and fails if it did not take it.
     */
    public CompletableFuture<Void> cancel(String requestId, String reason) {
        byte[] value = ContractCodec.CANCELLATIONS.encode(new Cancellation(requestId, reason));
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            // send() may wait up to max.block.ms for metadata; callers are on the event loop.
            cancellations.execute(() -> send(requestId, reason, value, acknowledged));
        } catch (RejectedExecutionException e) {
            LOG.warn("request_id={} cancellation ({}) not published: the service is stopping", requestId, reason);
            acknowledged.completeExceptionally(e);
        }
        return acknowledged;
    }

    private void send(String requestId, String reason, byte[] value, CompletableFuture<Void> acknowledged) {
        try {
            producer.send(new ProducerRecord<>(Topics.CANCELLATIONS, requestId, value), (metadata, error) -> {
                if (error != null) {
                    LOG.warn("request_id={} cancellation ({}) not published: {}", requestId, reason, error.toString());
                    acknowledged.completeExceptionally(error);
                } else {
                    LOG.info("request_id={} cancellation published ({})", requestId, reason);
                    acknowledged.complete(null);
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("request_id={} cancellation ({}) not published: {}", requestId, reason, e.toString());
            acknowledged.completeExceptionally(e);
        }
    }

    /** Whether the cluster answers within the publish timeout. Blocking. */
    public boolean kafkaReachable() {
        try {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    private static ApiException publishFailure(Throwable error) {
        if (error instanceof RecordTooLargeException) {
            return new ApiException(413, "request_too_large", "the request is larger than Kafka accepts ("
                    + error.getMessage() + "); send a smaller prompt, or lower KAPTION_INLINE_IMAGE_MAX_BYTES so that "
                    + "images go through S3", error);
        }
        return kafkaUnavailable(error);
    }

    static ApiException kafkaUnavailable(Throwable cause) {
        return new ApiException(503, "kafka_unavailable", "Kafka did not take the request in time: "
                + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }

    /** Hands the cancellations still queued to the producer (which is closed after this, and sends them). */
    @Override
    public void close() {
        cancellations.shutdown();
        try {
            if (!cancellations.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("cancellations still queued at shutdown were dropped");
                cancellations.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancellations.shutdownNow();
        }
    }
}
