package io.kaption.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.kaption.ingest.support.IngestFixture.await;
import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Health endpoints, and what clients hear when Kafka or the workers do not answer in time. */
@ExtendWith(SharedInfrastructure.class)
class HealthAndTimeoutsIT {

    @Test
    void healthzAnswersAndReadyzTurnsReadyOnceTheEventHubReads() {
        try (IngestFixture ingest = IngestFixture.start("health", Map.of())) {
            HttpResponse<String> live = ingest.get("/healthz");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"ok\"}");

            // Ready without any worker: requests queue in Kafka. The body says that nothing consumes them yet.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> ready = ingest.get("/readyz");
                assertThat(ready.statusCode()).isEqualTo(200);
                JsonNode body = json(ready.body());
                assertThat(body.path("status").textValue()).isEqualTo("ready");
                assertThat(body.path("workers").path("primary").toString()).isEqualTo(
                        "{\"consuming\":false,\"members\":0,\"consuming_members\":0}");
            });
        }
    }

    @Test
    void readyzSaysWhetherAWorkerConsumesTheGroup() {
        try (IngestFixture ingest = IngestFixture.start("health-workers", Map.of())) {
            String group = ingest.group();
            // A consumer in the workers' group of this pool, as a worker subscribes, stands in for a worker.
            try (KafkaConsumer<byte[], byte[]> worker = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, Topics.workerGroup(group)),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                worker.subscribe(List.of(Topics.requests(group)));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    worker.poll(Duration.ofMillis(100));
                    assertThat(json(ingest.get("/readyz").body()).path("workers").path(group).toString())
                            .isEqualTo("{\"consuming\":true,\"members\":1,\"consuming_members\":1}");
                });
            }
            // Gone (it left the group on close): the ingest stays ready, and says so within its cache time.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> ready = ingest.get("/readyz");
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(json(ready.body()).path("workers").path(group).path("consuming").booleanValue()).isFalse();
            });
        }
    }

    @Test
    void aResultThatDoesNotComeInTimeIs504AndTheRequestIsCancelled() {
        try (IngestFixture ingest = IngestFixture.start("timeout", Map.of("KAPTION_RESULT_TIMEOUT_SECONDS", "1"))) {
            String id = newRequestId();
            CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate", id,
                    "{\"text\":\"Describe it.\",\"consumer_group\":\"" + ingest.group() + "\"}"));

            HttpResponse<String> answer = await(response);
            assertThat(answer.statusCode()).isEqualTo(504);
            assertThat(answer.body()).isEqualTo("{\"error\":{\"code\":\"result_timeout\","
                    + "\"message\":\"no result within 1 s; the request was cancelled\"}}");
            ingest.awaitRequest(id);
            assertThat(IngestFixture.awaitRecord(Topics.CANCELLATIONS, id))
                    .isEqualTo(json("{\"request_id\":\"" + id + "\",\"reason\":\"result_timeout\"}"));
        }
    }

    @Test
    void withoutKafkaRequestsAre503AndReadyzSaysWhy() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> env = IngestFixture.environment("unreachable", "it-unreachable", Map.of(
                IngestConfig.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:" + closedPort,
                IngestConfig.PUBLISH_TIMEOUT_MS, "1000"));
        try (IngestService service = IngestService.start(IngestConfig.fromEnvironment(env))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI base = URI.create("http://127.0.0.1:" + service.port());
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/generate"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"Describe it.\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(json(response.body()).path("error").path("code").textValue()).isEqualTo("kafka_unavailable");
            assertThat(json(response.body()).path("error").path("message").textValue())
                    .startsWith("Kafka did not take the request in time: ");

            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(base.resolve("/readyz")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("{\"error\":{\"code\":\"not_ready\",\"message\":\"kafka: unreachable; "
                    + "events: partitions of kaption.tokens and kaption.results not assigned yet; "
                    + "jobs: kaption.jobs and kaption.job-status not read to their end yet\"}}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
