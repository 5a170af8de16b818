package io.kaption.localstack.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.localstack.kafka.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

@ExtendWith(SharedInfrastructure.class)
class SharedInfrastructureTest {

  @Test
  void withoutDockerTheSharedBrokerIsTheEmbeddedOne() {
    // The surefire configuration points DOCKER_HOST at a missing socket with KAPTION_TEST_KAFKA=auto.
    assertThat(System.getenv("DOCKER_HOST")).startsWith("unix:///nonexistent/");
    assertThat(SharedInfrastructure.kafkaMode()).isEqualTo("embedded");
    assertThat(SharedInfrastructure.kafkaBootstrapServers()).startsWith("127.0.0.1:");
    assertThat(SharedInfrastructure.s3Endpoint().getHost()).isEqualTo("127.0.0.1");
  }

  @Test
  void recordsRoundTripThroughATopicWithThreePartitions() throws Exception {
    String topic = "round-trip";
    SharedInfrastructure.createTopic(topic, 3);
    SharedInfrastructure.createTopic(topic, 3); // idempotent

    try (Admin admin = KafkaTopics.admin(SharedInfrastructure.kafkaBootstrapServers())) {
      assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
          .get(topic).partitions()).hasSize(3);
    }

    Set<Integer> partitionsWritten = new HashSet<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers()),
        new StringSerializer(), new StringSerializer())) {
      for (int partition = 0; partition < 3; partition++) {
        partitionsWritten.add(producer.send(new ProducerRecord<>(topic, partition, "key-" + partition,
            "value-" + partition)).get(30, TimeUnit.SECONDS).partition());
      }
    }
    assertThat(partitionsWritten).containsExactlyInAnyOrder(0, 1, 2);

    List<String> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "round-trip-test",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (received.size() < 3 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          received.add(record.partition() + ":" + record.key() + "=" + record.value());
        }
      }
    }
    assertThat(received).containsExactlyInAnyOrder("0:key-0=value-0", "1:key-1=value-1", "2:key-2=value-2");
  }

  @Test
  void recreatingATopicWithAnotherPartitionCountIsAnError() {
    SharedInfrastructure.createTopic("fixed-partitions", 2);

    assertThatThrownBy(() -> SharedInfrastructure.createTopic("fixed-partitions", 4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("fixed-partitions already exists with 2 partitions, not 4");
  }

  @Test
  void invalidTopicsAreRejectedBeforeReachingTheBroker() {
    assertThatThrownBy(() -> SharedInfrastructure.createTopic(" ", 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SharedInfrastructure.createTopic("no-partitions", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }

  @Test
  void theSharedS3ClientTalksToTheSharedServer() {
    var s3 = SharedInfrastructure.s3Client();
    s3.createBucket(b -> b.bucket("shared-infrastructure-test"));
    s3.putObject(p -> p.bucket("shared-infrastructure-test").key("hello.txt"),
        RequestBody.fromString("hello", StandardCharsets.UTF_8));

    assertThat(s3.getObjectAsBytes(g -> g.bucket("shared-infrastructure-test").key("hello.txt")).asUtf8String())
        .isEqualTo("hello");
  }
}
