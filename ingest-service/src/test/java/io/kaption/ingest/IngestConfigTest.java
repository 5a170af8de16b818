package io.kaption.ingest;

import io.kaption.events.RequestEventHub;
import io.kaption.schemas.topics.TopicProvisioner;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestConfigTest {

    @Test
    void defaults() {
        IngestConfig config = IngestConfig.fromEnvironment(Map.of());

        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(3000);
        assertThat(config.kafkaBootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.s3Endpoint()).isEmpty();
        assertThat(config.awsRegion()).isEqualTo("us-east-1");
        assertThat(config.imageBucket()).isEqualTo("kaption-images");
        assertThat(config.inlineImageMaxBytes()).isEqualTo(262_144);
        assertThat(config.maxBodyBytes()).isEqualTo(32 * 1024 * 1024);
        assertThat(config.publishTimeout()).isEqualTo(Duration.ofMillis(5000));
        assertThat(config.resultTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.sinkPublicUrl()).isEqualTo(URI.create("http://127.0.0.1:3002"));
        assertThat(config.images().remoteImagesAllowed()).isFalse();
        assertThat(config.events()).isEqualTo(RequestEventHub.Config.defaults("127.0.0.1:9092"));
        assertThat(config.topics()).isEqualTo(new TopicProvisioner.Settings(6, (short) 1));
    }

    @Test
    void everyVariableIsRead() {
        IngestConfig config = IngestConfig.fromEnvironment(Map.ofEntries(
                Map.entry("KAPTION_INGEST_HOST", "127.0.0.1"),
                Map.entry("KAPTION_INGEST_PORT", "0"),
                Map.entry("KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
                Map.entry("KAPTION_S3_ENDPOINT", "http://127.0.0.1:9000/"),
                Map.entry("AWS_REGION", "eu-west-1"),
                Map.entry("KAPTION_IMAGE_BUCKET", "images"),
                Map.entry("KAPTION_INLINE_IMAGE_MAX_BYTES", "1024"),
                Map.entry("KAPTION_MAX_BODY_BYTES", "2048"),
                Map.entry("KAPTION_PUBLISH_TIMEOUT_MS", "750"),
                Map.entry("KAPTION_RESULT_TIMEOUT_SECONDS", "30"),
                Map.entry("KAPTION_SINK_PUBLIC_URL", "https://sink.example.com"),
                Map.entry("TAKEOFF_ALLOW_REMOTE_IMAGES", "true"),
                Map.entry("KAPTION_TOPIC_PARTITIONS", "12"),
                Map.entry("KAPTION_TOPIC_REPLICATION", "3")));

        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isZero();
        assertThat(config.kafkaBootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.events().bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.s3Endpoint()).isEqualTo(Optional.of(URI.create("http://127.0.0.1:9000")));
        assertThat(config.awsRegion()).isEqualTo("eu-west-1");
        assertThat(config.imageBucket()).isEqualTo("images");
        assertThat(config.inlineImageMaxBytes()).isEqualTo(1024);
        assertThat(config.maxBodyBytes()).isEqualTo(2048);
        assertThat(config.publishTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(config.resultTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.sinkPublicUrl()).isEqualTo(URI.create("https://sink.example.com"));
        assertThat(config.images().remoteImagesAllowed()).isTrue();
        assertThat(config.topics()).isEqualTo(new TopicProvisioner.Settings(12, (short) 3));
    }

    @Test
    void malformedValuesNameTheirVariable() {
        assertThatThrownBy(() -> IngestConfig.fromEnvironment(Map.of("KAPTION_INGEST_PORT", "http")))
                .hasMessage("KAPTION_INGEST_PORT must be a whole number, got 'http'");
        assertThatThrownBy(() -> IngestConfig.fromEnvironment(Map.of("KAPTION_PUBLISH_TIMEOUT_MS", "0")))
                .hasMessage("KAPTION_PUBLISH_TIMEOUT_MS must be positive, got 0");
        assertThatThrownBy(() -> IngestConfig.fromEnvironment(Map.of("KAPTION_SINK_PUBLIC_URL", "sink:3002")))
                .hasMessage("KAPTION_SINK_PUBLIC_URL must be an http(s) URL, got 'sink:3002'");
        assertThatThrownBy(() -> IngestConfig.fromEnvironment(Map.of("KAPTION_INGEST_PORT", "70000")))
                .hasMessage("KAPTION_INGEST_PORT must be 0 to 65535, got 70000");
    }
}
