package io.kaption.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.kit.kafka.KafkaConnection.KafkaAccessException;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.EmbeddedKafka;
import io.kaption.localstack.kafka.LocalCertificates;
import io.kaption.sink.ResultSink;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.GpuWorker;
import io.kaption.worker.WorkerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every service against a broker that only takes SASL_SSL with SCRAM-SHA-512, its TLS certificate signed by a CA made
 * here: configured through the {@code KAPTION_KAFKA_*} client properties alone, the worker, the sink (event hub,
 * output writer, the job progress Kafka Streams app, the shard writer) and the ingest service (producer, admin, event
 * hub, job directory, job planner) start, get ready, and answer requests end to end. A wrong password stops each
 * service's start with Kafka's reason instead of leaving it retrying.
 */
@ExtendWith(SharedInfrastructure.class) // S3 only: Kafka is this test's own broker
class SaslSslPipelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "kaption";
    private static final String PASSWORD = "pw-" + UUID.randomUUID();

    @TempDir
    static Path dir;

    private static LocalCertificates certificates;
    private static EmbeddedKafka kafka;
    private static LocalPipeline pipeline;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        certificates = LocalCertificates.create(dir.resolve("tls"), "store-" + UUID.randomUUID());
        kafka = EmbeddedKafka.startSaslSslOnFreePort(new EmbeddedKafka.SaslSsl(certificates, Map.of(USER, PASSWORD)));
        Map<String, String> env = environment(PASSWORD);
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "2");
        env.put("KAPTION_SINK_STATE_DIR", dir.resolve("sink-state").toString());
        LocalPipeline.useDummyCredentialsUnlessConfigured(env);
        pipeline = LocalPipeline.start(env, kafka.bootstrapServers(), SharedInfrastructure.s3Endpoint());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** What an operator sets for a SASL_SSL/SCRAM cluster with a private CA. */
    private static Map<String, String> environment(String password) {
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAPTION_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAPTION_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + USER + "\" password=\"" + password + "\";");
        env.put("KAPTION_KAFKA_SSL_TRUSTSTORE_LOCATION", certificates.trustStore().toString());
        env.put("KAPTION_KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        env.put("KAPTION_KAFKA_SSL_TRUSTSTORE_PASSWORD", certificates.password());
        return env;
    }

    @Test
    void theServicesGetReadyAndAnswerThroughTheSecuredBroker() throws Exception {
        // Ready means each service's consumers are assigned and have read their topics over SASL_SSL.
        await().atMost(Duration.ofSeconds(120)).until(() -> get(pipeline.ingestPort(), "/readyz").statusCode() == 200);
        await().atMost(Duration.ofSeconds(120)).until(() -> get(pipeline.sinkPort(), "/readyz").statusCode() == 200);

        HttpResponse<String> blocking = post(pipeline.ingestPort(), "/generate",
                "{\"text\": \"Name a colour.\", \"max_new_tokens\": 6}");
        assertThat(blocking.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(blocking.body()).get("text").asText()).isNotEmpty();

        HttpResponse<String> submitted = post(pipeline.ingestPort(), "/v1/requests",
                "{\"text\": \"Count to three.\", \"max_new_tokens\": 6}");
        assertThat(submitted.statusCode()).isEqualTo(202);
        String requestId = JSON.readTree(submitted.body()).get("request_id").asText();
        HttpResponse<String> result = get(pipeline.sinkPort(), "/v1/requests/" + requestId + "?wait=120");
        assertThat(result.statusCode()).isEqualTo(200);
        JsonNode answer = JSON.readTree(result.body());
        assertThat(answer.get("request_id").asText()).isEqualTo(requestId);
        assertThat(answer.get("finish_reason").asText()).isIn("length", "stop");
    }

    @Test
    void aWrongPasswordStopsEveryServiceAtStart() {
        Map<String, String> env = environment("not-the-password");
        env.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAPTION_S3_ENDPOINT", SharedInfrastructure.s3Endpoint().toString());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");

        assertThatThrownBy(() -> IngestService.start(IngestConfig.fromEnvironment(env)))
                .isInstanceOf(KafkaAccessException.class)
                .hasMessageStartingWith("Kafka at " + kafka.bootstrapServers() + " refused SASL_SSL access: ")
                .hasMessageContaining("SCRAM-SHA-512")
                .hasMessageNotContaining("not-the-password");
        assertThatThrownBy(() -> GpuWorker.start(WorkerConfig.fromEnvironment(env)))
                .isInstanceOf(KafkaAccessException.class);
        assertThatThrownBy(() -> ResultSink.start(ResultSinkConfig.fromEnvironment(env)))
                .isInstanceOf(KafkaAccessException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheCaIsRefusedToo() {
        Map<String, String> env = environment(PASSWORD);
        env.remove("KAPTION_KAFKA_SSL_TRUSTSTORE_LOCATION");
        env.remove("KAPTION_KAFKA_SSL_TRUSTSTORE_TYPE");
        env.remove("KAPTION_KAFKA_SSL_TRUSTSTORE_PASSWORD");
        env.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());

        assertThatThrownBy(() -> ResultSink.start(ResultSinkConfig.fromEnvironment(env)))
                .isInstanceOf(KafkaAccessException.class)
                .hasMessageContaining("SSL handshake failed");
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return LocalHttp.get(http, port, path);
    }

    private static HttpResponse<String> post(int port, String path, String json) throws Exception {
        return LocalHttp.postJson(http, port, path, json);
    }
}
