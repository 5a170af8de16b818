package io.kaption.ingest.publish;

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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The publisher against a Kafka that does not answer (a closed loopback port). */
class RequestPublisherIT {

    @Test
    void aCancellationDoesNotHoldItsCallerWhileKafkaDoesNotAnswer() throws IOException {
        // Cancellations are sent from the event loop (a client went away, a result timed out). The producer waits up
        // to max.block.ms for the topic's metadata inside send(): that wait must not be the caller's.
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + closedPort;
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
}
