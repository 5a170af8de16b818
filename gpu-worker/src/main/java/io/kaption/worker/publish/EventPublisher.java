package io.kaption.worker.publish;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes token events and results, keyed by request id (so all of a request's records share a partition and an
 * order). A result is sent only after the request's last token event was acknowledged, so no reader sees a result
 * before the final token events it follows; the caller learns when the result itself was acknowledged, which is
 * when the request's offset may be committed.
 *
 * <p>A record Kafka does not acknowledge (after the producer's own retries, within {@code delivery.timeout.ms}) is a
 * fatal error: the worker must stop without committing past the request, so that it is redelivered.
 */
public final class EventPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);

    /**
     * The largest result value sent as it is: below Kafka's default {@code max.request.size} (1 MiB) and the broker's
     * {@code max.message.bytes}, with room for the key and the record overhead. A longer result (a long {@code text}
     * list times {@code max_new_tokens}) would be refused, which is fatal, again for every worker the request is
     * redelivered to; it is answered with a failure instead.
     */
    public static final int MAX_RESULT_BYTES = 1_000_000;

    private final Producer<byte[], byte[]> producer;
    private final Consumer<Throwable> onFatal;
    /** Sends results off the producer's I/O thread, where the token acknowledgements complete. */
    private final ExecutorService resultSender = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kaption-worker-results");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger unacknowledgedResults = new AtomicInteger();

    /** Does not own {@code producer} (an idempotent {@code acks=all} producer). */
    public EventPublisher(Producer<byte[], byte[]> producer, Consumer<Throwable> onFatal) {
        this.producer = producer;
        this.onFatal = onFatal;
    }

    /** Sends a token event; the future completes when Kafka acknowledged it. */
    public CompletableFuture<Void> token(TokenEvent event) {
        return send(Topics.TOKENS, event.requestId(), ContractCodec.TOKENS.encode(event));
    }

    /**
     * Sends {@code result} once {@code after} (the request's last token event, or a completed future) completed
     * normally, and runs {@code onAcknowledged} when Kafka acknowledged the result.
     */
    public void result(GenerationResult result, CompletableFuture<Void> after, Runnable onAcknowledged) {
        byte[] value = encode(result);
        unacknowledgedResults.incrementAndGet();
        // Nothing to wait for (no token events, or all acknowledged already): sent from the caller's thread, as token
        // events are, without a hop to the sender thread.
        CompletableFuture<Void> sent = after.isDone() && !after.isCompletedExceptionally()
                ? send(Topics.RESULTS, result.requestId(), value)
                : after.thenComposeAsync(ignored -> send(Topics.RESULTS, result.requestId(), value), resultSender);
        sent.whenComplete((ignored, error) -> {
            unacknowledgedResults.decrementAndGet();
            if (error == null) {
                onAcknowledged.run();
            }
        });
    }

    /**
     * Ends a request that never reaches the engine with {@code failure}: its final token events (when it streams),
     * then its result; runs {@code onAcknowledged} when Kafka acknowledged the result.
     */
    public void fail(GenerationRequest request, GenerationResult.Failure failure, long queuedMs, long inferenceMs,
            Runnable onAcknowledged) {
        RequestProgress progress = new RequestProgress(request);
        CompletableFuture<Void> lastToken = CompletableFuture.completedFuture(null);
        for (TokenEvent event : progress.failRemaining(failure)) {
            lastToken = token(event);
        }
        result(progress.result(queuedMs, inferenceMs), lastToken, onAcknowledged);
    }

    /** Still exactly one result when the real one cannot be sent: one saying that the worker failed. */
    private static byte[] encode(GenerationResult result) {
        byte[] value;
        try {
            value = ContractCodec.RESULTS.encode(result);
        } catch (InvalidRecordException e) {
            LOG.error("the result of request {} violates the contract: {}", result.requestId(), e.getMessage());
            return encodeFailure(result, "the worker produced an invalid result: " + e.getMessage());
        }
        if (value.length > MAX_RESULT_BYTES) {
            LOG.error("the result of request {} has {} bytes, too many for a Kafka record", result.requestId(),
                    value.length);
            return encodeFailure(result, "the result of " + value.length + " bytes is larger than a Kafka record may "
                    + "be (" + MAX_RESULT_BYTES + " bytes)");
        }
        return value;
    }

    private static byte[] encodeFailure(GenerationResult result, String message) {
        return ContractCodec.RESULTS.encode(new GenerationResult(result.requestId(), null, FinishReason.ERROR, null,
                new GenerationResult.Failure(ErrorCodes.INFERENCE_FAILED, message), result.jobId(),
                result.recordId(), result.queuedMs(), result.inferenceMs(), result.outputUri(), result.imageUrl(),
                result.stream()));
    }

    /** Waits until every result handed over so far was acknowledged (or failed); false on timeout. */
    public boolean awaitResults(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (unacknowledgedResults.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            producer.flush();
            Thread.sleep(10);
        }
        return true;
    }

    private CompletableFuture<Void> send(String topic, String requestId, byte[] value) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic, requestId.getBytes(StandardCharsets.UTF_8), value),
                    (metadata, error) -> {
                        if (error == null) {
                            acknowledged.complete(null);
                        } else {
                            fail(acknowledged, topic, requestId, error);
                        }
                    });
        } catch (KafkaException e) {
            fail(acknowledged, topic, requestId, e);
        }
        return acknowledged;
    }

    private void fail(CompletableFuture<Void> acknowledged, String topic, String requestId, Throwable error) {
        KafkaException failure = new KafkaException("a " + topic + " record of request " + requestId
                + " was not acknowledged", error);
        LOG.error("{}", failure.getMessage(), error);
        acknowledged.completeExceptionally(failure);
        onFatal.accept(failure);
    }

    @Override
    public void close() {
        resultSender.shutdown();
        try {
            resultSender.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
