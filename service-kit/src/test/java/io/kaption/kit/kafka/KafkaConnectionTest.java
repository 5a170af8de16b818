package io.kaption.kit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.kit.env.Env;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"kaption\" password=\"s3cret\";";

    @Test
    void defaultsToTheLocalBroker() {
        KafkaConnection kafka = KafkaConnection.fromEnvironment(Env.of(Map.of()));
        assertThat(kafka).isEqualTo(KafkaConnection.of("127.0.0.1:9092"));
        assertThat(kafka.producer(Map.of())).containsExactly(Map.entry("bootstrap.servers", "127.0.0.1:9092"));
    }

    @Test
    void everyPrefixedVariableIsAClientProperty() {
        KafkaConnection kafka = KafkaConnection.fromEnvironment(Env.of(Map.of(
                "KAPTION_KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9093,kafka-1:9093",
                "KAPTION_KAFKA_PORT", "9092",
                "KAPTION_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAPTION_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAPTION_KAFKA_SASL_JAAS_CONFIG", JAAS,
                "KAPTION_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/ca.p12",
                "KAPTION_KAFKA_MAX_POLL_RECORDS", "50",
                "KAPTION_KAFKA_COMPRESSION_TYPE", "zstd",
                "KAPTION_KAFKA_SSL_KEYSTORE_PASSWORD", " ",
                "OTHER", "x")));
        assertThat(kafka.bootstrapServers()).isEqualTo("kafka-0:9093,kafka-1:9093");
        assertThat(kafka.properties()).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("sasl.jaas.config", JAAS),
                Map.entry("ssl.truststore.location", "/etc/kafka/ca.p12"),
                Map.entry("max.poll.records", "50"),
                Map.entry("compression.type", "zstd"));

        // Each client gets the properties it knows.
        assertThat(kafka.consumer(Map.of())).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", JAAS).containsEntry("max.poll.records", "50")
                .doesNotContainKey("compression.type");
        assertThat(kafka.producer(Map.of())).containsEntry("ssl.truststore.location", "/etc/kafka/ca.p12")
                .containsEntry("compression.type", "zstd").doesNotContainKey("max.poll.records");
        assertThat(kafka.admin(Map.of())).containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("bootstrap.servers", "kafka-0:9093,kafka-1:9093")
                .doesNotContainKey("max.poll.records");
        Properties own = new Properties();
        own.put("application.id", "app");
        assertThat(kafka.streams(own)).containsEntry("application.id", "app")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("max.poll.records", "50");
    }

    @Test
    void whatTheServiceSetsWins() {
        KafkaConnection kafka = new KafkaConnection("k:9092", Map.of("acks", "1", "client.id", "operator"));
        assertThat(kafka.producer(Map.of("acks", "all"))).containsEntry("acks", "all")
                .containsEntry("client.id", "operator");
    }

    @Test
    void aVariableThatNamesNoClientPropertyFailsTheStart() {
        assertThatThrownBy(() -> KafkaConnection.fromEnvironment(Env.of(Map.of(
                "KAPTION_KAFKA_SECURITY_PROTOCOLL", "SASL_SSL"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAPTION_KAFKA_SECURITY_PROTOCOLL names no Kafka client property (security.protocoll)");
    }

    @Test
    void namesMapBothWays() {
        assertThat(KafkaConnection.propertyName("KAPTION_KAFKA_SSL_TRUSTSTORE_LOCATION"))
                .isEqualTo("ssl.truststore.location");
        assertThat(KafkaConnection.variableName("sasl.jaas.config")).isEqualTo("KAPTION_KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    void toStringNeverShowsValues() {
        KafkaConnection kafka = new KafkaConnection("k:9092", Map.of("sasl.jaas.config", JAAS,
                "security.protocol", "SASL_SSL"));
        assertThat(kafka.toString()).isEqualTo("KafkaConnection[k:9092, [sasl.jaas.config, security.protocol]]")
                .doesNotContain("s3cret");
    }
}
