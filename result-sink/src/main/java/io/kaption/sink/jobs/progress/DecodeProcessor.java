package io.kaption.sink.jobs.progress;

import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Function;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the raw values of one input topic with its {@link ContractCodec}. A valid value that concerns a job goes on
 * as a {@link Decoded.Event} keyed by its job id; one that fails its schema goes on as a {@link Decoded.DeadLetter}
 * (original key, value and headers plus the {@link DeadLetterHeaders reason headers}) for the topic's {@code .dlq},
 * so a bad record never stops the application. Values of no job (interactive results, request cancellations) and
 * tombstones of compacted topics are dropped.
 */
final class DecodeProcessor<T> implements Processor<byte[], byte[], String, DecodeProcessor.Decoded> {

    private static final Logger log = LoggerFactory.getLogger(DecodeProcessor.class);

    sealed interface Decoded {
        record Event(JobEvent event) implements Decoded {}

        record DeadLetter(byte[] key, byte[] value) implements Decoded {}
    }

    private final ContractCodec<T> codec;
    private final Function<T, JobEvent> toEvent;
    private final boolean compacted;
    private ProcessorContext<String, Decoded> context;

    /**
     * @param toEvent   the job event of a value, or null when the value concerns no job
     * @param compacted whether the topic is compacted: its tombstones (null values) are then dropped, not
     *                  dead-lettered
     */
    DecodeProcessor(ContractCodec<T> codec, Function<T, JobEvent> toEvent, boolean compacted) {
        this.codec = codec;
        this.toEvent = toEvent;
        this.compacted = compacted;
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (record.value() == null && compacted) {
            return;
        }
        DecodeResult<T> decoded = codec.tryDecode(record.value());
        if (decoded instanceof DecodeResult.Valid<T> valid) {
            JobEvent event = toEvent.apply(valid.value());
            if (event != null) {
                context.forward(new Record<>(event.jobId(), new Decoded.Event(event), record.timestamp()));
            }
        } else if (decoded instanceof DecodeResult.Invalid<T> invalid) {
            context.forward(new Record<String, Decoded>(null, new Decoded.DeadLetter(record.key(), record.value()),
                    record.timestamp(), deadLetterHeaders(record, invalid)));
        }
    }

    private Headers deadLetterHeaders(Record<byte[], byte[]> record, DecodeResult.Invalid<T> invalid) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        RecordMetadata source = context.recordMetadata().orElseThrow();
        add(headers, DeadLetterHeaders.REASON, invalid.reason());
        add(headers, DeadLetterHeaders.ERROR_CLASS, invalid.error().getClass().getName());
        add(headers, DeadLetterHeaders.SOURCE_TOPIC, source.topic());
        add(headers, DeadLetterHeaders.SOURCE_PARTITION, Integer.toString(source.partition()));
        add(headers, DeadLetterHeaders.SOURCE_OFFSET, Long.toString(source.offset()));
        add(headers, DeadLetterHeaders.SOURCE_TIMESTAMP, Long.toString(record.timestamp()));
        add(headers, DeadLetterHeaders.FAILED_AT, Instant.now().toString());
        log.warn("dead-lettering {}-{}@{}: {}", source.topic(), source.partition(), source.offset(), invalid.reason());
        return headers;
    }

    private static void add(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
