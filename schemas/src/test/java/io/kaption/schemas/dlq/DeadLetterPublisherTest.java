package io.kaption.schemas.dlq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The failure path, which a real broker does not produce on demand: a dead letter that was not written. */
class DeadLetterPublisherTest {

    @Test
    void aDeadLetterTheBrokerDidNotAcknowledgeIsAnErrorSoTheCallerDoesNotCommit() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterPublisher publisher = new DeadLetterPublisher(producer);
        ConsumerRecord<byte[], byte[]> record =
                new ConsumerRecord<>("kaption.requests.primary", 2, 17L, "k".getBytes(UTF_8), "v".getBytes(UTF_8));

        CompletableFuture<?> publishing = CompletableFuture.runAsync(() -> publisher.publish(record, "bad", null));
        Awaitility.await().until(() -> producer.history().size() == 1);
        assertThat(publishing).as("publish waits for the acknowledgement").isNotDone();
        assertThat(producer.history().get(0).topic()).isEqualTo("kaption.requests.primary.dlq");

        producer.errorNext(new TimeoutException("no ack"));
        assertThatThrownBy(() -> publishing.get(30, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(KafkaException.class)
                .hasMessage("could not dead-letter kaption.requests.primary-2@17 to kaption.requests.primary.dlq")
                .hasCauseInstanceOf(TimeoutException.class);
    }
}
