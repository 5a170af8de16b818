package io.kaption.localstack.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

  @TempDir Path tempDir;

  @Test
  void closeStopsTheChildJvmAndFreesThePort() {
    EmbeddedKafka kafka = EmbeddedKafka.startOnFreePort();
    long pid = kafka.pid();
    int port = kafka.port();
    Path dataDir = kafka.logFile().getParent();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
    assertThat(ProcessHandle.current().children().map(ProcessHandle::pid)).contains(pid);

    kafka.close();

    Optional<ProcessHandle> child = ProcessHandle.of(pid);
    assertThat(child.isEmpty() || !child.get().isAlive()).as("broker process %d gone", pid).isTrue();
    assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 1000))
        .isInstanceOf(ConnectException.class);
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void topicsSurviveARestartOnTheSameDataDirectory() {
    Path dataDir = tempDir.resolve("kafka");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0, dataDir)) {
      kafka.createTopic("persistent", 4);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0, dataDir);
        Admin admin = KafkaTopics.admin(kafka.bootstrapServers())) {
      assertThat(KafkaTopics.partitionCount(admin, "persistent")).isEqualTo(4);
    }
    assertThat(dataDir.resolve("data/meta.properties")).exists();
  }

  @Test
  void aBrokerThatCannotStartFailsWithItsOutput() throws IOException {
    Path dataDir = tempDir.resolve("broken");
    Files.createDirectories(dataDir);
    Files.writeString(dataDir.resolve("data"), "a file where the log directory should be");

    assertThatThrownBy(() -> EmbeddedKafka.start(0, dataDir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Kafka broker exited with code")
        .hasMessageContaining(dataDir.resolve("broker.out").toString())
        .hasMessageContaining("first error: ")
        .hasMessageContaining(dataDir.resolve("data").toString());
  }

  @Test
  void aPortInUseIsReportedBeforeStartingTheBroker() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> EmbeddedKafka.start(taken.getLocalPort(), tempDir.resolve("unused")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("cannot run Kafka on 127.0.0.1:" + taken.getLocalPort() + ": the port is in use");
    }
  }
}
