package io.kaption.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.LlavaEngine;
import io.kaption.schemas.topics.TopicProvisioner;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    @Test
    void defaults() {
        WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
        assertThat(config.model()).isEmpty();
        assertThat(config.precision()).isEqualTo(LlavaEngine.Precision.FLOAT32);
        assertThat(config.visionTower()).isEmpty();
        assertThat(config.consumerGroups()).containsExactly("primary");
        assertThat(config.maxBatchSize()).isEqualTo(8);
        assertThat(config.batchDuration()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.prefillTokensPerPass()).isEqualTo(1024);
        assertThat(config.kafkaBootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.s3Endpoint()).isEmpty();
        assertThat(config.awsRegion()).isEqualTo("us-east-1");
        assertThat(config.imageIntake().remoteImagesAllowed()).isFalse();
        assertThat(config.topics()).isEqualTo(new TopicProvisioner.Settings(6, (short) 1));
        assertThat(config.imageThreads()).isEqualTo(4);
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.jobCancellationLookback()).isEqualTo(Duration.ofDays(7));
        assertThat(config.sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.instanceId()).isEmpty();
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
        assertThat(config.httpPort()).isEqualTo(3001);
    }

    @Test
    void everyVariable() {
        WorkerConfig config = WorkerConfig.fromEnvironment(Map.ofEntries(
                Map.entry("KAPTION_MODEL", "/models/llava-1.5-7b-hf"),
                Map.entry("KAPTION_DTYPE", "FLOAT16"),
                Map.entry("KAPTION_VISION_TOWER", "/models/clip"),
                Map.entry("TAKEOFF_CONSUMER_GROUP", " primary, batch ,"),
                Map.entry("TAKEOFF_MAX_BATCH_SIZE", "16"),
                Map.entry("TAKEOFF_BATCH_DURATION_MILLIS", "0"),
                Map.entry("KAPTION_PREFILL_TOKENS_PER_PASS", "8192"),
                Map.entry("KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092"),
                Map.entry("KAPTION_S3_ENDPOINT", "http://127.0.0.1:9000"),
                Map.entry("AWS_REGION", "eu-west-1"),
                Map.entry("TAKEOFF_ALLOW_REMOTE_IMAGES", "true"),
                Map.entry("KAPTION_TOPIC_PARTITIONS", "12"),
                Map.entry("KAPTION_TOPIC_REPLICATION", "3"),
                Map.entry("KAPTION_IMAGE_FETCH_THREADS", "2"),
                Map.entry("KAPTION_WORKER_SHUTDOWN_GRACE_MS", "500"),
                Map.entry("KAPTION_WORKER_JOB_CANCELLATION_LOOKBACK_MS", "86400000"),
                Map.entry("KAPTION_WORKER_SESSION_TIMEOUT_MS", "2400"),
                Map.entry("KAPTION_WORKER_INSTANCE_ID", "worker-3"),
                Map.entry("KAPTION_WORKER_HOST", "127.0.0.1"),
                Map.entry("KAPTION_WORKER_METRICS_PORT", "0")));
        assertThat(config.model()).contains(Path.of("/models/llava-1.5-7b-hf"));
        assertThat(config.precision()).isEqualTo(LlavaEngine.Precision.FLOAT16);
        assertThat(config.visionTower()).contains(Path.of("/models/clip"));
        assertThat(config.consumerGroups()).containsExactly("primary", "batch");
        assertThat(config.maxBatchSize()).isEqualTo(16);
        assertThat(config.batchDuration()).isZero();
        assertThat(config.prefillTokensPerPass()).isEqualTo(8192);
        assertThat(config.kafkaBootstrapServers()).isEqualTo("kafka-0:9092,kafka-1:9092");
        assertThat(config.s3Endpoint()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(config.awsRegion()).isEqualTo("eu-west-1");
        assertThat(config.imageIntake().remoteImagesAllowed()).isTrue();
        assertThat(config.topics()).isEqualTo(new TopicProvisioner.Settings(12, (short) 3));
        assertThat(config.imageThreads()).isEqualTo(2);
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.jobCancellationLookback()).isEqualTo(Duration.ofDays(1));
        assertThat(config.sessionTimeout()).isEqualTo(Duration.ofMillis(2400));
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(800));
        assertThat(config.instanceId()).contains("worker-3");
        assertThat(config.httpHost()).isEqualTo("127.0.0.1");
        assertThat(config.httpPort()).isZero();
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_DTYPE", "bf16")))
                .hasMessage("KAPTION_DTYPE must be float32 or float16, got 'bf16'");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("TAKEOFF_MAX_BATCH_SIZE", "0")))
                .hasMessage("TAKEOFF_MAX_BATCH_SIZE must be at least 1, got 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_PREFILL_TOKENS_PER_PASS", "0")))
                .hasMessage("KAPTION_PREFILL_TOKENS_PER_PASS must be at least 1, got 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("TAKEOFF_BATCH_DURATION_MILLIS", "soon")))
                .hasMessage("TAKEOFF_BATCH_DURATION_MILLIS must be a whole number, got 'soon'");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("TAKEOFF_CONSUMER_GROUP", "a b")))
                .hasMessageStartingWith("consumer_group must be 1 to");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("TAKEOFF_CONSUMER_GROUP", "a,a")))
                .hasMessage("TAKEOFF_CONSUMER_GROUP names a consumer group twice: [a, a]");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("TAKEOFF_CONSUMER_GROUP", " , ")))
                .hasMessage("TAKEOFF_CONSUMER_GROUP names no consumer group");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_JOB_CANCELLATION_LOOKBACK_MS",
                "0"))).hasMessage("KAPTION_WORKER_JOB_CANCELLATION_LOOKBACK_MS must be at least 1, got 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_SESSION_TIMEOUT_MS", "0")))
                .hasMessage("KAPTION_WORKER_SESSION_TIMEOUT_MS must be at least 1, got 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_INSTANCE_ID", "pod/1")))
                .hasMessage("KAPTION_WORKER_INSTANCE_ID must be 1 to 249 of a-z A-Z 0-9 . _ -, got 'pod/1'");
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_METRICS_PORT", "70000")))
                .hasMessage("KAPTION_WORKER_METRICS_PORT must be a port number (0-65535), got 70000");
    }

    @Test
    void theHttpServerListensOn3001UnlessTold() {
        WorkerConfig defaults = WorkerConfig.fromEnvironment(Map.of());
        assertThat(defaults.httpHost()).isEqualTo("0.0.0.0");
        assertThat(defaults.httpPort()).isEqualTo(3001);
        WorkerConfig told = WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_HOST", "127.0.0.1",
                "KAPTION_WORKER_METRICS_PORT", "0"));
        assertThat(told.httpHost()).isEqualTo("127.0.0.1");
        assertThat(told.httpPort()).isZero();
        assertThat(WorkerConfig.builder().build().httpPort()).as("tests get any free port").isZero();
        assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("KAPTION_WORKER_METRICS_PORT", "70000")))
                .hasMessage("KAPTION_WORKER_METRICS_PORT must be a port number (0-65535), got 70000");
    }

    @Test
    void theBuilderChangesOnlyWhatItIsTold() {
        WorkerConfig config = WorkerConfig.builder().consumerGroups("it").maxBatchSize(2)
                .s3Endpoint(URI.create("http://127.0.0.1:1")).build();
        assertThat(config.consumerGroups()).isEqualTo(List.of("it"));
        assertThat(config.maxBatchSize()).isEqualTo(2);
        assertThat(config.s3Endpoint()).isEqualTo(Optional.of(URI.create("http://127.0.0.1:1")));
        assertThat(config.toBuilder().build()).isEqualTo(config);
        assertThat(config.batchDuration()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.httpPort()).as("embedded workers never collide").isZero();
    }
}
