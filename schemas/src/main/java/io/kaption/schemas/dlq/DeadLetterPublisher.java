package io.kaption.schemas.dlq;

import io.kaption.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parks a record that cannot be processed on {@code <topic>.dlq}: the original key, value and headers unchanged, plus
 * the {@link DeadLetterHeaders reason headers}. {@link #publish} returns only once the broker has acknowledged the
 * record, so a consumer that commits its offset afterwards loses nothing.
 *
 * <p>Give it a {@code byte[]} producer with {@code acks=all}; it does not own the producer.
 */
public final class DeadLetterPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final Consumer<String> written;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer) {
        this(producer, topic -> { });
    }

    /** @param written told the dead-letter topic of each record written (to count them) */
    public DeadLetterPublisher(Producer<byte[], byte[]> producer, Consumer<String> written) {
        this.producer = producer;
        this.written = written;
    }

    /**
     * Sends {@code record} to {@code <record.topic()>.dlq} and waits for the acknowledgement.
     *
     * @param reason what an operator needs to know to fix the record
     * @param error  what rejected it (its class is recorded), or null
     * @throws KafkaException when the dead-letter record could not be written: do not commit past the record then
     */
    public RecordMetadata publish(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        String deadLetterTopic = Topics.dlq(record.topic());
        Headers headers = new RecordHeaders(record.headers().toArray());
        add(headers, DeadLetterHeaders.REASON, reason);
        if (error != null) {
            add(headers, DeadLetterHeaders.ERROR_CLASS, error.getClass().getName());
        }
        add(headers, DeadLetterHeaders.SOURCE_TOPIC, record.topic());
        add(headers, DeadLetterHeaders.SOURCE_PARTITION, Integer.toString(record.partition()));
        add(headers, DeadLetterHeaders.SOURCE_OFFSET, Long.toString(record.offset()));
        add(headers, DeadLetterHeaders.SOURCE_TIMESTAMP, Long.toString(record.timestamp()));
        add(headers, DeadLetterHeaders.FAILED_AT, Instant.now().toString());
        try {
            RecordMetadata sent = producer.send(
                    new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(), headers)).get();
            LOG.warn("dead-lettered {}-{}@{} to {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    sent.topic(), sent.partition(), sent.offset(), reason);
            written.accept(deadLetterTopic);
            return sent;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            throw new KafkaException("could not dead-letter " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + " to " + deadLetterTopic, e.getCause());
        }
    }

    private static void add(Headers headers, String key, String value) {
        headers.add(key, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }
}
