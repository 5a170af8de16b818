package io.kaption.localstack.junit;

import io.kaption.localstack.kafka.EmbeddedKafka;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.localstack.s3.EmbeddedS3;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One Kafka broker and one S3 server per test JVM, shared by every integration test that uses
 * {@code @ExtendWith(SharedInfrastructure.class)} (or calls the static accessors, which start them lazily, so
 * they work from {@code @BeforeAll}). Each starts on first use, so a test that needs only S3 starts no broker.
 *
 * <p>Kafka is the embedded broker, or a Testcontainers broker when a Docker engine is reachable and holds the images
 * it needs (apache/kafka and Ryuk: auto mode pulls nothing); the environment variable
 * {@code KAPTION_TEST_KAFKA=embedded|docker|auto} (default auto) forces the choice. S3 is always an
 * in-memory S3Proxy in this JVM. Everything is stopped when the JVM's tests finish (through JUnit's root store),
 * or at JVM exit at the latest.
 *
 * <p>Tests share the broker and the S3 server: give topics and buckets names unique to the test.
 */
public final class SharedInfrastructure implements BeforeAllCallback {

  static final String KAFKA_MODE_ENV = "KAPTION_TEST_KAFKA";
  static final String EMBEDDED = "embedded";
  static final String TESTCONTAINERS = "testcontainers";

  private static final Logger log = LoggerFactory.getLogger(SharedInfrastructure.class);
  private static final Namespace NAMESPACE = Namespace.create(SharedInfrastructure.class);

  /** Started on first use; guarded by {@code SharedInfrastructure.class}. */
  private static SharedKafka kafka;
  /** Started on first use; guarded by {@code SharedInfrastructure.class}. */
  private static SharedS3 s3;
  /** Why the broker did not start: a failed start can take minutes, so later tests fail at once instead. */
  private static RuntimeException kafkaStartFailure;

  @Override
  public void beforeAll(ExtensionContext context) {
    // The root store closes its AutoCloseable values after the last test of this JVM.
    context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Stopper.class, type -> new Stopper(), Stopper.class);
  }

  /** {@code host:port} of the shared broker. */
  public static String kafkaBootstrapServers() {
    return kafka().bootstrapServers;
  }

  /** Creates a topic with {@code partitions} partitions; does nothing if it exists with that count. */
  public static void createTopic(String name, int partitions) {
    KafkaTopics.create(kafka().admin, name, partitions);
  }

  /** {@code "embedded"} or {@code "testcontainers"}. */
  public static String kafkaMode() {
    return kafka().mode;
  }

  /** {@code http://127.0.0.1:<port>} of the shared S3 server. */
  public static URI s3Endpoint() {
    return s3().server.endpoint();
  }

  /**
   * The variables a Kaption service needs to reach the shared broker and S3 server (bootstrap servers, S3 endpoint,
   * region, the dummy key pair), in a new map the caller adds its own to: for services started in a child JVM.
   */
  public static Map<String, String> serviceEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrapServers());
    env.put("KAPTION_S3_ENDPOINT", s3Endpoint().toString());
    env.put("AWS_REGION", EmbeddedS3.REGION.id());
    env.put("AWS_ACCESS_KEY_ID", EmbeddedS3.DUMMY_ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", EmbeddedS3.DUMMY_SECRET_KEY);
    return env;
  }

  /** A client of the shared S3 server, itself shared: do not close it. */
  public static S3Client s3Client() {
    return s3().client;
  }

  private static synchronized SharedKafka kafka() {
    if (kafka == null) {
      if (kafkaStartFailure != null) {
        throw new IllegalStateException("the shared Kafka broker failed to start earlier in this JVM",
            kafkaStartFailure);
      }
      try {
        kafka = SharedKafka.start(chooseKafkaMode(System.getenv()));
      } catch (RuntimeException e) {
        kafkaStartFailure = e;
        throw e;
      }
    }
    return kafka;
  }

  private static synchronized SharedS3 s3() {
    if (s3 == null) {
      s3 = new SharedS3(EmbeddedS3.startInMemory(0));
    }
    return s3;
  }

  private static synchronized void stop() {
    if (kafka != null || s3 != null) {
      log.info("stopping the shared test infrastructure");
    }
    try {
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      kafka = null;
      if (s3 != null) {
        s3.close();
        s3 = null;
      }
    }
  }

  /**
   * The Kafka mode the environment asks for; {@code auto} picks Testcontainers only if Docker is reachable and holds
   * the images (a Testcontainers class, so only loaded when Testcontainers is on the classpath).
   */
  static String chooseKafkaMode(Map<String, String> env) {
    String requested = env.getOrDefault(KAFKA_MODE_ENV, "auto").trim().toLowerCase(Locale.ROOT);
    switch (requested) {
      case "embedded":
        return EMBEDDED;
      case "docker":
        if (!DockerProbe.testcontainersOnClasspath()) {
          throw new IllegalStateException(KAFKA_MODE_ENV + "=docker needs org.testcontainers:testcontainers-kafka"
              + " on the test classpath");
        }
        return TESTCONTAINERS;
      case "":
      case "auto":
        if (DockerProbe.needsHostLookupContainer(env, DockerProbe.insideContainer())
            && DockerProbe.testcontainersOnClasspath() && DockerProbe.hasCandidateEndpoint(env)) {
          log.info("inside a container without TESTCONTAINERS_HOST_OVERRIDE (Testcontainers would pull alpine to find"
              + " the Docker host): using the embedded broker");
          return EMBEDDED;
        }
        if (!DockerProbe.isDockerAvailable(env)) {
          return EMBEDDED;
        }
        List<String> missing = TestcontainersKafka.missingImages(env);
        if (!missing.isEmpty()) {
          log.info("a Docker engine answers but lacks {} (auto mode pulls nothing): using the embedded broker", missing);
          return EMBEDDED;
        }
        return TESTCONTAINERS;
      default:
        throw new IllegalArgumentException(KAFKA_MODE_ENV + " must be embedded, docker or auto, got '"
            + env.get(KAFKA_MODE_ENV) + "'");
    }
  }

  /** What the root store holds: closing it stops whatever the tests started. */
  private static final class Stopper implements AutoCloseable {

    @Override
    public void close() {
      stop();
    }
  }

  /** The started broker with an admin client for topic creation. */
  private static final class SharedKafka implements AutoCloseable {

    final String mode;
    final AutoCloseable broker;
    final String bootstrapServers;
    final Admin admin;

    private SharedKafka(String mode, AutoCloseable broker, String bootstrapServers) {
      this.mode = mode;
      this.broker = broker;
      this.bootstrapServers = bootstrapServers;
      this.admin = KafkaTopics.admin(bootstrapServers);
    }

    static SharedKafka start(String mode) {
      if (TESTCONTAINERS.equals(mode)) {
        TestcontainersKafka broker = TestcontainersKafka.start();
        log.info("shared test Kafka: Testcontainers broker on {}", broker.bootstrapServers());
        return new SharedKafka(mode, broker, broker.bootstrapServers());
      }
      EmbeddedKafka broker = EmbeddedKafka.startOnFreePort();
      log.info("shared test Kafka: embedded broker on {}", broker.bootstrapServers());
      return new SharedKafka(mode, broker, broker.bootstrapServers());
    }

    @Override
    public void close() {
      admin.close();
      try {
        broker.close();
      } catch (Exception e) {
        log.warn("stopping the shared Kafka broker failed: {}", e.toString());
      }
    }
  }

  /** The started S3 server with its shared client. */
  private static final class SharedS3 implements AutoCloseable {

    final EmbeddedS3 server;
    final S3Client client;

    SharedS3(EmbeddedS3 server) {
      this.server = server;
      this.client = server.newClient();
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }
}
