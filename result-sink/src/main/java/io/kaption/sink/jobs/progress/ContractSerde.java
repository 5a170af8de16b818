package io.kaption.sink.jobs.progress;

import io.kaption.schemas.serde.ContractCodec;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka Streams serde for one contract type, through its {@link ContractCodec}: what it writes has been checked
 * against the topic's schema, and what it reads is checked too (it only reads what the topology wrote itself; values
 * from outside come in as bytes and are decoded by {@link DecodeProcessor}, which dead-letters the bad ones).
 */
final class ContractSerde<T> implements Serde<T> {

    private final ContractCodec<T> codec;

    ContractSerde(ContractCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : codec.encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : codec.decode(bytes);
    }
}
