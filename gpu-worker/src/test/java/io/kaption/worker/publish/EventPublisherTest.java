package io.kaption.worker.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ordering rules of publishing, on Kafka's MockProducer (acknowledgements completed by hand). */
class EventPublisherTest {

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final List<Throwable> fatal = new CopyOnWriteArrayList<>();
    private final EventPublisher publisher = new EventPublisher(producer, fatal::add);

    private final GenerationRequest request = GenerationRequest.builder("req-1", Texts.of("Hi"), null).build();
    private final GenerationResult result = GenerationResult.completed(request, Texts.of("Hello"), FinishReason.STOP,
            GenerationResult.Usage.of(5, 2), 1L, 2L);

    @AfterEach
    void close() {
        publisher.close();
    }

    @Test
    void theResultWaitsForTheLastTokenEventAndTheCommitForTheResult() {
        publisher.token(TokenEvent.chunk("req-1", 0, 0, "Hello"));
        CompletableFuture<Void> last = publisher.token(TokenEvent.last("req-1", 0, 1, "", FinishReason.STOP));
        AtomicBoolean acknowledged = new AtomicBoolean();
        publisher.result(result, last, () -> acknowledged.set(true));

        assertThat(producer.history()).extracting(r -> r.topic()).containsExactly("kaption.tokens", "kaption.tokens");
        assertThat(producer.history()).allSatisfy(r -> assertThat(r.key()).isEqualTo("req-1".getBytes(UTF_8)));
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.completeNext()).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 3);
        assertThat(producer.history().get(2).topic()).isEqualTo("kaption.results");
        assertThat(new String(producer.history().get(2).value(), UTF_8)).startsWith("{\"request_id\":\"req-1\","
                + "\"text\":\"Hello\",\"finish_reason\":\"stop\"");
        assertThat(acknowledged).isFalse();

        assertThat(producer.completeNext()).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilTrue(acknowledged);
        assertThat(fatal).isEmpty();
    }

    @Test
    void aTokenEventKafkaDoesNotAcknowledgeIsFatalAndTheResultIsNeverSent() throws Exception {
        CompletableFuture<Void> last = publisher.token(TokenEvent.last("req-1", 0, 0, "", FinishReason.STOP));
        AtomicBoolean acknowledged = new AtomicBoolean();
        publisher.result(result, last, () -> acknowledged.set(true));

        producer.errorNext(new TimeoutException("delivery.timeout.ms passed"));

        await().atMost(Duration.ofSeconds(10)).until(() -> !fatal.isEmpty());
        assertThat(fatal.get(0)).hasMessage("a kaption.tokens record of request req-1 was not acknowledged")
                .hasCauseInstanceOf(TimeoutException.class);
        assertThat(publisher.awaitResults(Duration.ofSeconds(10))).isTrue();
        assertThat(producer.history()).extracting(r -> r.topic()).containsExactly("kaption.tokens");
        assertThat(acknowledged).isFalse();
    }

    @Test
    void aResultWithoutTokenEventsIsSentAtOnce() {
        AtomicBoolean acknowledged = new AtomicBoolean();
        publisher.result(result, CompletableFuture.completedFuture(null), () -> acknowledged.set(true));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
        producer.completeNext();
        await().atMost(Duration.ofSeconds(10)).untilTrue(acknowledged);
    }
}
