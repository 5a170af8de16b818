package io.kaption.schemas.dlq;

import static io.kaption.schemas.KafkaClients.consumerConfig;
import static io.kaption.schemas.KafkaClients.producerConfig;
import static io.kaption.schemas.KafkaClients.readUntil;
import static io.kaption.schemas.KafkaClients.uniqueTopic;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.DecodeResult;
import io.kaption.schemas.serde.InvalidRecordException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pattern every consumer of the contract follows: read bytes, decode, process the valid, dead-letter the rest
 * (waiting for the acknowledgement), then commit. A poison record neither stops the consumer nor gets lost.
 */
@ExtendWith(SharedInfrastructure.class)
class DeadLetterRoutingIT {

    private static final String IMAGE = "s3://kaption-inputs/cats/1.jpg";

    @Test
    void poisonRecordsGoToTheDeadLetterTopicAndTheNextValidRecordIsStillProcessed() throws Exception {
        String topic = uniqueTopic(Topics.REQUESTS_PREFIX);
        String deadLetterTopic = Topics.dlq(topic);
        SharedInfrastructure.createTopic(topic, 1);
        SharedInfrastructure.createTopic(deadLetterTopic, 1);

        byte[] first = ContractCodec.REQUESTS.encode(GenerationRequest.builder("req-a", Texts.of("One?"), IMAGE).build());
        byte[] garbage = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef};
        byte[] outOfRange = ("{\"request_id\":\"req-x\",\"text\":\"Hi\",\"image_url\":\"" + IMAGE
                + "\",\"sampling_topp\":7}").getBytes(UTF_8);
        byte[] second = ContractCodec.REQUESTS.encode(GenerationRequest.builder("req-b", Texts.of("Two?"), IMAGE).build());
        RecordHeaders traced = new RecordHeaders();
        traced.add("trace-id", "t-123".getBytes(UTF_8));

        try (var producer = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "req-a".getBytes(UTF_8), first)).get();
            producer.send(new ProducerRecord<>(topic, null, "poison".getBytes(UTF_8), garbage, traced)).get();
            producer.send(new ProducerRecord<>(topic, "req-x".getBytes(UTF_8), outOfRange)).get();
            producer.send(new ProducerRecord<>(topic, "req-b".getBytes(UTF_8), second)).get();
        }

        Map<String, Object> consumerConfig = consumerConfig();
        List<GenerationRequest> processed = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> deadLettered = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             var deadLetterProducer = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            DeadLetterPublisher deadLetters = new DeadLetterPublisher(deadLetterProducer);
            consumer.subscribe(List.of(topic));
            long giveUpAt = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (processed.size() + deadLettered.size() < 4 && System.nanoTime() < giveUpAt) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    DecodeResult<GenerationRequest> decoded = ContractCodec.REQUESTS.tryDecode(record.value());
                    if (decoded instanceof DecodeResult.Valid<GenerationRequest> valid) {
                        processed.add(valid.value());
                    } else if (decoded instanceof DecodeResult.Invalid<GenerationRequest> invalid) {
                        deadLetters.publish(record, invalid.reason(), invalid.error());
                        deadLettered.add(record);
                    }
                }
                consumer.commitSync();
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            assertThat(consumer.committed(Set.of(partition)).get(partition))
                    .as("everything was committed, nothing is left to redeliver")
                    .extracting(OffsetAndMetadata::offset).isEqualTo(4L);
        }
        assertThat(processed).extracting(GenerationRequest::requestId).containsExactly("req-a", "req-b");

        try (var reader = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            reader.subscribe(List.of(deadLetterTopic));
            List<ConsumerRecord<byte[], byte[]>> parked = readUntil(reader, read -> read.size() >= 2);
            assertThat(parked).hasSize(2);

            ConsumerRecord<byte[], byte[]> poison = parked.get(0);
            assertThat(poison.key()).isEqualTo("poison".getBytes(UTF_8));
            assertThat(poison.value()).isEqualTo(garbage);
            Map<String, String> headers = headers(poison);
            assertThat(headers).containsEntry("trace-id", "t-123")
                    .containsEntry(DeadLetterHeaders.SOURCE_TOPIC, topic)
                    .containsEntry(DeadLetterHeaders.SOURCE_PARTITION, "0")
                    .containsEntry(DeadLetterHeaders.SOURCE_OFFSET, "1")
                    .containsEntry(DeadLetterHeaders.SOURCE_TIMESTAMP, Long.toString(deadLettered.get(0).timestamp()))
                    .containsEntry(DeadLetterHeaders.ERROR_CLASS, InvalidRecordException.class.getName());
            assertThat(headers.get(DeadLetterHeaders.REASON))
                    .startsWith("invalid kaption.requests/v1 value: $: not valid JSON: ");
            assertThat(Instant.parse(headers.get(DeadLetterHeaders.FAILED_AT)))
                    .isBetween(Instant.ofEpochMilli(deadLettered.get(0).timestamp()), Instant.now());

            ConsumerRecord<byte[], byte[]> invalid = parked.get(1);
            assertThat(invalid.key()).isEqualTo("req-x".getBytes(UTF_8));
            assertThat(invalid.value()).isEqualTo(outOfRange);
            assertThat(headers(invalid))
                    .containsEntry(DeadLetterHeaders.SOURCE_OFFSET, "2")
                    .containsEntry(DeadLetterHeaders.REASON,
                            "invalid kaption.requests/v1 value: $.sampling_topp: must have a maximum value of 1");
        }
    }

    private static Map<String, String> headers(ConsumerRecord<?, ?> record) {
        Map<String, String> headers = new HashMap<>();
        for (Header header : record.headers()) {
            assertThat(headers.put(header.key(), new String(header.value(), UTF_8)))
                    .as("header %s appears once", header.key()).isNull();
        }
        return headers;
    }
}
