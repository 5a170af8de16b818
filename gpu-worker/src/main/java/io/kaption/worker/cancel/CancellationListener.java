package io.kaption.worker.cancel;

import io.kaption.schemas.Cancellation;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every cancellation: a consumer without group, assigned all partitions of {@code kaption.cancellations} and
 * starting at their end (older cancellations concern requests this process never saw), marking request ids in
 * {@link CancelledRequests}. Every worker replica reads all of them; the one holding the request acts.
 */
public final class CancellationListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationListener.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final CancelledRequests cancelled;
    private final Consumer<Throwable> onFatal;
    private final Thread thread;
    private volatile boolean running = true;

    private CancellationListener(KafkaConsumer<byte[], byte[]> consumer, CancelledRequests cancelled,
            Consumer<Throwable> onFatal) {
        this.consumer = consumer;
        this.cancelled = cancelled;
        this.onFatal = onFatal;
        this.thread = new Thread(this::run, "kaption-worker-cancellations");
        this.thread.setDaemon(true);
    }

    /**
     * Assigns and positions the consumer before returning, so that every cancellation produced afterwards is seen.
     *
     * @param onFatal told when the listener stops on an error (cancellations would no longer be honoured)
     */
    public static CancellationListener start(String bootstrapServers, CancelledRequests cancelled,
            Consumer<Throwable> onFatal) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "kaption-worker-cancellations",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.CANCELLATIONS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.CANCELLATIONS + " does not exist");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end offsets now, not at the first poll
            LOG.info("following {} ({} partitions) from their end", Topics.CANCELLATIONS, partitions.size());
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        CancellationListener listener = new CancellationListener(consumer, cancelled, onFatal);
        listener.thread.start();
        return listener;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    DecodeResult<Cancellation> decoded = ContractCodec.CANCELLATIONS.tryDecode(record.value());
                    if (decoded instanceof DecodeResult.Valid<Cancellation> valid) {
                        Cancellation cancellation = valid.value();
                        LOG.info("request {} cancelled ({})", cancellation.requestId(),
                                cancellation.reason() == null ? "no reason given" : cancellation.reason());
                        cancelled.cancel(cancellation.requestId(), cancellation.reason());
                    } else if (decoded instanceof DecodeResult.Invalid<Cancellation> invalid) {
                        // Every replica reads every cancellation: dead-lettering here would park one copy per replica.
                        LOG.warn("ignoring invalid cancellation {}-{}@{}: {}", record.topic(), record.partition(),
                                record.offset(), invalid.reason());
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("the cancellation listener was woken up unexpectedly; the worker stops", e);
                onFatal.accept(e);
            }
        } catch (RuntimeException e) {
            LOG.error("the cancellation listener failed; the worker stops", e);
            onFatal.accept(e);
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
