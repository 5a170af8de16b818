package io.kaption.schemas.serde;

import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka {@link Deserializer} of one topic's values; accepts plain JSON and Confluent-framed JSON and throws
 * {@link InvalidRecordException} for anything else. Consumers that must survive bad records read {@code byte[]} and
 * call {@link ContractCodec#tryDecode} instead (see {@code io.kaption.schemas.dlq}).
 */
public final class ContractDeserializer<T> implements Deserializer<T> {

    private final ContractCodec<T> codec;

    public ContractDeserializer(ContractCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return codec.decode(data);
    }
}
