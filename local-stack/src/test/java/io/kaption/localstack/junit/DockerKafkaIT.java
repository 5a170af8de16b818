package io.kaption.localstack.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shared broker in a Docker container (Testcontainers' KafkaContainer on the apache/kafka image). Runs only
 * with {@code KAPTION_TEST_KAFKA=docker}, which activates local-stack's {@code docker-kafka} profile: the usual
 * run points {@code DOCKER_HOST} at a missing socket on purpose.
 */
@EnabledIfEnvironmentVariable(named = "KAPTION_TEST_KAFKA", matches = "docker")
@ExtendWith(SharedInfrastructure.class)
class DockerKafkaIT {

  @Test
  void theSharedBrokerRunsInDockerAndCarriesRecords() {
    assertThat(SharedInfrastructure.kafkaMode()).isEqualTo("testcontainers");
    String topic = "docker-kafka-it";
    SharedInfrastructure.createTopic(topic, 3);
    String bootstrap = SharedInfrastructure.kafkaBootstrapServers();

    try (KafkaProducer<String, String> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 9; i++) {
        producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
      }
    }
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "docker-kafka-it",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (values.size() < 9 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          values.add(record.value());
        }
      }
    }
    assertThat(values).containsExactlyInAnyOrder("value-0", "value-1", "value-2", "value-3", "value-4",
        "value-5", "value-6", "value-7", "value-8");
  }
}
