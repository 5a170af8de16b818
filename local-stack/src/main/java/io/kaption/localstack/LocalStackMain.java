package io.kaption.localstack;

import io.kaption.localstack.s3.EmbeddedS3;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/kaption infra}: Kafka on 127.0.0.1:9092 and S3 on 127.0.0.1:9000 until Ctrl-C, for services started
 * on their own ({@code bin/kaption local} runs the services as well).
 *
 * <p>Environment: {@code KAPTION_KAFKA_PORT}, {@code KAPTION_S3_PORT}, {@code KAPTION_DATA_DIR} (default
 * {@code .kaption} in the current directory).
 */
public final class LocalStackMain {

  static final int DEFAULT_KAFKA_PORT = 9092;
  static final int DEFAULT_S3_PORT = 9000;
  static final String DEFAULT_DATA_DIR = ".kaption";
  /** Longer than a stop takes (services, then the broker: at most 20 s, then S3). */
  static final Duration PREVIOUS_RUN_TIMEOUT = Duration.ofSeconds(60);

  private LocalStackMain() {}

  public static void main(String[] args) throws InterruptedException {
    Started started = startOrExit("kaption infra", System.getenv());
    CountDownLatch stopped = new CountDownLatch(1);
    // Ctrl-C (SIGINT) runs shutdown hooks: stop the broker child and S3 before the JVM goes.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("kaption infra: stopping");
      started.stack().close();
      stopped.countDown();
    }, "local-stack-shutdown"));

    System.out.println(describe(started.stack(), started.settings()) + System.lineSeparator()
        + "  Ctrl-C stops everything.");
    stopped.await();
  }

  /** A running stack and the settings it was started with. */
  public record Started(LocalStack stack, Settings settings) {}

  /**
   * Starts the stack the environment asks for; on a malformed setting or a failed start, prints why (naming the
   * variables to change) and exits.
   */
  public static Started startOrExit(String command, Map<String, String> env) {
    Settings settings;
    try {
      settings = Settings.from(env);
    } catch (IllegalArgumentException e) {
      System.err.println(command + ": " + e.getMessage());
      System.exit(2);
      throw e;
    }
    try {
      // A previous run on this directory may still be stopping (it holds its ports until it has).
      DataDirectoryLock.acquire(settings.dataDir(), PREVIOUS_RUN_TIMEOUT,
          waiting -> System.out.println(command + ": " + waiting));
      return new Started(LocalStack.start(settings.kafkaPort(), settings.s3Port(), settings.dataDir()), settings);
    } catch (RuntimeException e) {
      System.err.println(command + ": " + e.getMessage()
          + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")")
          + System.lineSeparator() + "  ports and data directory: KAPTION_KAFKA_PORT, KAPTION_S3_PORT, KAPTION_DATA_DIR");
      System.exit(1);
      throw e;
    }
  }

  public static String describe(LocalStack stack, Settings settings) {
    return String.join(System.lineSeparator(),
        "  Data   " + settings.dataDir().toAbsolutePath(),
        "  Kafka  " + stack.kafkaBootstrapServers()
            + "   try: kcat -L -b " + stack.kafkaBootstrapServers(),
        "  S3     " + stack.s3Endpoint()
            + "   try: AWS_ACCESS_KEY_ID=" + EmbeddedS3.DUMMY_ACCESS_KEY
            + " AWS_SECRET_ACCESS_KEY=" + EmbeddedS3.DUMMY_SECRET_KEY
            + " aws --region " + EmbeddedS3.REGION.id() + " --endpoint-url " + stack.s3Endpoint() + " s3 ls");
  }

  /** What the environment asks for; a malformed value is an error, not a silent default. */
  public record Settings(int kafkaPort, int s3Port, Path dataDir) {

    public static Settings from(Map<String, String> env) {
      return new Settings(
          port(env, "KAPTION_KAFKA_PORT", DEFAULT_KAFKA_PORT),
          port(env, "KAPTION_S3_PORT", DEFAULT_S3_PORT),
          dataDir(env.get("KAPTION_DATA_DIR")));
    }

    private static Path dataDir(String value) {
      return Path.of(value == null || value.isBlank() ? DEFAULT_DATA_DIR : value);
    }

    private static int port(Map<String, String> env, String name, int defaultPort) {
      String value = env.get(name);
      if (value == null || value.isBlank()) {
        return defaultPort;
      }
      try {
        int port = Integer.parseInt(value.trim());
        if (port >= 0 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // Reported below with the variable's name.
      }
      throw new IllegalArgumentException(name + " must be a port number (0-65535, 0 = any free port), got '"
          + value + "'");
    }
  }
}
