package io.kaption.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.localstack.kafka.KafkaTopics;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

class LocalStackTest {

  @TempDir Path dataDir;

  @Test
  void startsKafkaAndS3ThatAnswerClients() throws Exception {
    try (LocalStack stack = LocalStack.start(0, 0, dataDir)) {
      try (Admin admin = KafkaTopics.admin(stack.kafkaBootstrapServers())) {
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
            .singleElement()
            .satisfies(node -> assertThat(node.host() + ":" + node.port()).isEqualTo(stack.kafkaBootstrapServers()));
      }
      try (S3Client s3 = stack.s3().newClient()) {
        s3.createBucket(b -> b.bucket("local-stack-test"));
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).contains("local-stack-test");
      }
      assertThat(dataDir.resolve("kafka/data/meta.properties")).exists();
      assertThat(dataDir.resolve("s3/local-stack-test")).isDirectory();

      String description = LocalStackMain.describe(stack, new LocalStackMain.Settings(0, 0, dataDir));
      assertThat(description)
          .contains("kcat -L -b " + stack.kafkaBootstrapServers())
          .contains("--endpoint-url " + stack.s3Endpoint() + " s3 ls");
    }
  }

  @Test
  void settingsComeFromTheEnvironmentWithLocalDefaults() {
    assertThat(LocalStackMain.Settings.from(Map.of()))
        .isEqualTo(new LocalStackMain.Settings(9092, 9000, Path.of(".kaption")));
    assertThat(LocalStackMain.Settings.from(Map.of(
        "KAPTION_KAFKA_PORT", "19092", "KAPTION_S3_PORT", " 19000 ", "KAPTION_DATA_DIR", "/tmp/k")))
        .isEqualTo(new LocalStackMain.Settings(19092, 19000, Path.of("/tmp/k")));
  }

  @Test
  void aMalformedPortIsAnErrorNamingTheVariable() {
    assertThatThrownBy(() -> LocalStackMain.Settings.from(Map.of("KAPTION_S3_PORT", "nine thousand")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KAPTION_S3_PORT must be a port number (0-65535, 0 = any free port), got 'nine thousand'");
    assertThatThrownBy(() -> LocalStackMain.Settings.from(Map.of("KAPTION_KAFKA_PORT", "70000")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("KAPTION_KAFKA_PORT must be a port number");
  }
}
