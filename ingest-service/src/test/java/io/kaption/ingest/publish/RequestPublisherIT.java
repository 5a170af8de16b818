package io.kaption.ingest.publish;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The publisher against a Kafka that does not answer (a closed loopback port). */
class RequestPublisherIT {

    @Test
    void requestsDoNotHoldTheirCallerAndFailWithinTwiceTheTimeoutWhileKafkaDoesNotAnswer() throws IOException {
        // Requests are published from the event loop. Each send() waits up to max.block.ms (the publish timeout) for
        // the topic's metadata; those waiting behind it on the sender thread give up once their own timeout passed.
        String bootstrap = closedPort();
        Duration timeout = Duration.ofSeconds(2);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis()),
                     new StringSerializer(), new ByteArraySerializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
             RequestPublisher publisher = new RequestPublisher(producer, admin, timeout)) {

            long start = System.nanoTime();
            List<CompletableFuture<Void>> published = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                published.add(publisher.publish(GenerationRequest.builder("r-" + i, Texts.of("Describe it."), null)
                        .consumerGroup("primary").build()));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("publish returns at once")
                    .isLessThan(timeout.dividedBy(2));
            assertThat(published).noneMatch(CompletableFuture::isDone);

            CompletableFuture.allOf(published.toArray(CompletableFuture[]::new)).exceptionally(error -> null).join();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("five requests, not five timeouts")
                    .isLessThan(timeout.multipliedBy(3));
            for (CompletableFuture<Void> request : published) {
                assertThat(request).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                        .havingCause().isInstanceOfSatisfying(ApiException.class,
                                error -> assertThat(error.code()).isEqualTo("kafka_unavailable"));
            }
        }
    }

    @Test
    void aCancellationDoesNotHoldItsCallerWhileKafkaDoesNotAnswer() throws IOException {
        // Cancellations are sent from the event loop (a client went away, a result timed out). The producer waits up
        // to max.block.ms for the topic's metadata inside send(): that wait must not be the caller's.
        String bootstrap = closedPort();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000),
                     new StringSerializer(), new ByteArraySerializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
             RequestPublisher publisher = new RequestPublisher(producer, admin, Duration.ofSeconds(5))) {

            CompletableFuture<Void> cancellation = publisher.cancel("r-1", "client_disconnected");

            assertThat(cancellation).as("the outcome is not known yet when cancel returns").isNotDone();
            await().atMost(Duration.ofSeconds(90)).until(cancellation::isDone);
            assertThat(cancellation).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(TimeoutException.class);
        }
    }

    private static String closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }
}
