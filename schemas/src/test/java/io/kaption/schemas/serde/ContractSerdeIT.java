package io.kaption.schemas.serde;

import static io.kaption.schemas.KafkaClients.consumerConfig;
import static io.kaption.schemas.KafkaClients.producerConfig;
import static io.kaption.schemas.KafkaClients.readUntil;
import static io.kaption.schemas.KafkaClients.uniqueTopic;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The serdes against a real broker: what one side writes, the other reads back equal. */
@ExtendWith(SharedInfrastructure.class)
class ContractSerdeIT {

    private static <T> List<T> roundTrip(String topic, ContractCodec<T> codec, List<T> values,
                                         java.util.function.Function<T, String> key) throws Exception {
        SharedInfrastructure.createTopic(topic, 1);
        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                new ContractSerializer<>(codec))) {
            for (T value : values) {
                producer.send(new ProducerRecord<>(topic, key.apply(value), value)).get();
            }
        }
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(),
                new ContractDeserializer<>(codec))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, T>> records = readUntil(consumer, read -> read.size() >= values.size());
            assertThat(records).extracting(ConsumerRecord::key).containsExactlyElementsOf(values.stream().map(key).toList());
            return records.stream().map(ConsumerRecord::value).toList();
        }
    }

    @Test
    void requestsTokensAndResultsComeBackEqual() throws Exception {
        GenerationRequest request = ContractCodecTest.fullRequest();
        GenerationRequest minimal = GenerationRequest.builder("req-2", Texts.of("Describe it."),
                "data:image/png;base64,iVBORw0KGgo=").build();
        assertThat(roundTrip(uniqueTopic(Topics.REQUESTS_PREFIX), ContractCodec.REQUESTS, List.of(request, minimal),
                GenerationRequest::requestId)).containsExactly(request, minimal);

        List<TokenEvent> tokens = List.of(TokenEvent.chunk("req-1", 0, 0, "A"), TokenEvent.chunk("req-1", 0, 1, " cat"),
                TokenEvent.last("req-1", 0, 2, ".", FinishReason.STOP));
        assertThat(roundTrip(uniqueTopic(Topics.TOKENS + "."), ContractCodec.TOKENS, tokens, TokenEvent::requestId))
                .containsExactlyElementsOf(tokens);

        List<GenerationResult> results = List.of(
                GenerationResult.completed(request, request.text().withValues(List.of("A cat.", "Grey.")),
                        FinishReason.STOP, GenerationResult.Usage.of(600, 5), 4L, 700L),
                GenerationResult.failed(minimal, new GenerationResult.Failure("inference_failed", "CUDA OOM"), 1L, 2L));
        assertThat(roundTrip(uniqueTopic(Topics.RESULTS + "."), ContractCodec.RESULTS, results,
                GenerationResult::requestId)).containsExactlyElementsOf(results);
    }

    @Test
    void confluentFramedRecordsProducedAsRawBytesAreRead() throws Exception {
        String topic = uniqueTopic(Topics.REQUESTS_PREFIX);
        SharedInfrastructure.createTopic(topic, 1);
        GenerationRequest request = ContractCodecTest.fullRequest();
        byte[] json = ContractCodec.REQUESTS.encode(request);
        // What a Confluent or Apicurio serializer puts on the wire: 0, schema id 17 big-endian, the JSON.
        byte[] framed = new byte[5 + json.length];
        framed[4] = 17;
        System.arraycopy(json, 0, framed, 5, json.length);
        byte[] handWritten = "{\"request_id\":\"req-9\",\"text\":[\"a\",\"b\"],\"image_url\":\"https://127.0.0.1/x.png\"}"
                .getBytes(UTF_8);
        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "req-1", framed)).get();
            producer.send(new ProducerRecord<>(topic, "req-9", ConfluentFrame.frame(3, handWritten))).get();
        }
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(),
                new ContractDeserializer<>(ContractCodec.REQUESTS))) {
            consumer.subscribe(List.of(topic));
            List<GenerationRequest> read = readUntil(consumer, records -> records.size() >= 2).stream()
                    .map(ConsumerRecord::value).toList();
            assertThat(read).hasSize(2);
            assertThat(read.get(0)).isEqualTo(request);
            assertThat(read.get(1).text()).isEqualTo(Texts.ofList(List.of("a", "b")));
            assertThat(read.get(1).maxNewTokens()).isEqualTo(GenerationRequest.DEFAULT_MAX_NEW_TOKENS);
        }
    }
}
