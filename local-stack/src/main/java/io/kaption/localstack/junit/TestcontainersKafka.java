package io.kaption.localstack.junit;

import com.github.dockerjava.api.exception.NotFoundException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.AppInfoParser;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.TestcontainersConfiguration;

/**
 * Kafka in a Docker container. Only this class touches Testcontainers (an optional dependency), so nothing
 * loads it on a classpath without Testcontainers.
 */
final class TestcontainersKafka implements AutoCloseable {

  private final KafkaContainer container;

  private TestcontainersKafka(KafkaContainer container) {
    this.container = container;
  }

  static boolean isDockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  /** The apache/kafka image of the same version as the Kafka clients. */
  static String kafkaImage() {
    return "apache/kafka:" + AppInfoParser.getVersion();
  }

  /** The images a start needs (Kafka's, and Ryuk's unless disabled) that the Docker engine does not hold. */
  static List<String> missingImages(Map<String, String> env) {
    return DockerProbe.missingImages(env, kafkaImage(), TestcontainersConfiguration.getInstance().getRyukImage(),
        TestcontainersKafka::presentLocally);
  }

  private static boolean presentLocally(String image) {
    try {
      DockerClientFactory.instance().client().inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  /** A broker from {@link #kafkaImage()}, configured like the embedded broker. */
  @SuppressWarnings("resource") // closed by close()
  static TestcontainersKafka start() {
    KafkaContainer container = new KafkaContainer(DockerImageName.parse(kafkaImage()))
        .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
    container.start();
    return new TestcontainersKafka(container);
  }

  String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public void close() {
    container.stop();
  }
}
