package io.kaption.schemas.serde;

import static io.kaption.schemas.KafkaClients.consumerConfig;
import static io.kaption.schemas.KafkaClients.producerConfig;
import static io.kaption.schemas.KafkaClients.readUntil;
import static io.kaption.schemas.KafkaClients.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The registry mode of {@link ContractSerializer} against a real Apicurio Registry 3 server (the distribution Maven
 * unpacks into target/apicurio-registry), started on a loopback port with in-memory storage. The server needs Java
 * 21+: it is taken from {@code KAPTION_JAVA21_HOME}, this JVM, or {@code /usr/lib/jvm}; without one the test is
 * skipped, saying so.
 */
@ExtendWith(SharedInfrastructure.class)
class ApicurioRegistryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Process registry;
    private static String baseUrl;

    @BeforeAll
    static void startRegistry() throws Exception {
        Path home = Path.of(System.getProperty("kaption.apicurio.registry.home", "target/apicurio-registry"));
        Path runJar = home.resolve("quarkus-run.jar");
        assumeTrue(Files.isRegularFile(runJar), "no Apicurio Registry distribution at " + home);
        Optional<Path> java = java21OrNewer();
        assumeTrue(java.isPresent(), "no Java 21+ found to run Apicurio Registry (set KAPTION_JAVA21_HOME)");

        int port = freeLoopbackPort();
        // The distribution is built with its management interface on (a build-time setting): move it off its
        // default 0.0.0.0:9000, which is the local S3's port, onto loopback.
        int managementPort = freeLoopbackPort();
        baseUrl = "http://127.0.0.1:" + port;
        Path log = Path.of("target", "apicurio-registry-it.log");
        registry = new ProcessBuilder(java.get().toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + managementPort,
                "-jar", runJar.toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long giveUpAt = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!isUp()) {
            if (!registry.isAlive() || System.nanoTime() > giveUpAt) {
                throw new IllegalStateException("Apicurio Registry did not come up on " + baseUrl + ", see " + log);
            }
            Thread.sleep(250);
        }
    }

    @AfterAll
    static void stopRegistry() throws InterruptedException {
        if (registry != null) {
            registry.destroy();
            if (!registry.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                registry.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void registersTheSchemaAndFramesTheValueWithAnIdTheConfluentApiResolves() throws Exception {
        String topic = uniqueTopic(Topics.REQUESTS_PREFIX);
        SharedInfrastructure.createTopic(topic, 1);
        GenerationRequest request = ContractCodecTest.fullRequest();

        Map<String, Object> config = new HashMap<>(producerConfig());
        config.put(ContractSerializer.SCHEMA_REGISTRY_URL_CONFIG, baseUrl + "/apis/registry/v3");
        try (var producer = new KafkaProducer<>(config, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.REQUESTS, config))) {
            producer.send(new ProducerRecord<>(topic, request.requestId(), request)).get();
        }

        byte[] value;
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, byte[]>> records = readUntil(consumer, read -> !read.isEmpty());
            assertThat(records).hasSize(1);
            value = records.get(0).value();
        }
        assertThat(ConfluentFrame.isFramed(value)).as("Confluent wire format").isTrue();
        int schemaId = ConfluentFrame.schemaId(value);

        JsonNode registered = get("/apis/ccompat/v7/schemas/ids/" + schemaId);
        assertThat(registered.path("schemaType").asText()).isEqualTo("JSON");
        assertThat(JSON.readTree(registered.path("schema").asText()).path("$id").asText())
                .isEqualTo(ContractCodec.REQUESTS.schemaId());
        assertThat(get("/apis/ccompat/v7/subjects")).extracting(JsonNode::toString).asString()
                .contains("\"" + topic + "-value\"");

        assertThat(new ContractDeserializer<>(ContractCodec.REQUESTS).deserialize(topic, value)).isEqualTo(request);
    }

    private static JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static boolean isUp() throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/apis/registry/v3/system/info")).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static Optional<Path> java21OrNewer() throws IOException {
        String configured = System.getenv("KAPTION_JAVA21_HOME");
        if (configured != null) {
            return Optional.of(Path.of(configured, "bin", "java"));
        }
        if (Runtime.version().feature() >= 21) {
            return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(home -> featureVersion(home) >= 21)
                    .map(home -> home.resolve("bin/java"))
                    .filter(Files::isExecutable)
                    .findFirst();
        }
    }

    // JAVA_VERSION="25.0.1" in <home>/release
    private static int featureVersion(Path home) {
        try {
            return Files.readAllLines(home.resolve("release")).stream()
                    .filter(line -> line.startsWith("JAVA_VERSION="))
                    .map(line -> line.replaceAll("JAVA_VERSION=\"(\\d+).*", "$1"))
                    .mapToInt(Integer::parseInt)
                    .findFirst().orElse(0);
        } catch (IOException | NumberFormatException unreadable) {
            return 0;
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
