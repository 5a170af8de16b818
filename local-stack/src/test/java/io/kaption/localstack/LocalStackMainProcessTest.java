package io.kaption.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.kafka.ChildClasspath;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.localstack.s3.EmbeddedS3;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code bin/kaption infra} as a separate JVM: what it prints, what it serves, and that it leaves nothing behind. */
class LocalStackMainProcessTest {

  private static final Pattern KAFKA_LINE = Pattern.compile("^  Kafka\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern S3_LINE = Pattern.compile("^  S3\\s+(\\S+)", Pattern.MULTILINE);

  @TempDir Path dataDir;
  private Process main;

  @AfterEach
  void killLeftovers() {
    if (main != null) {
      main.descendants().forEach(ProcessHandle::destroyForcibly);
      main.destroyForcibly();
    }
  }

  @Test
  void servesKafkaAndS3UntilTerminatedThenStopsTheBroker() throws Exception {
    Path output = startMain();
    String printed = Files.readString(output, StandardCharsets.UTF_8);
    String bootstrapServers = group(KAFKA_LINE, printed);
    URI s3Endpoint = URI.create(group(S3_LINE, printed));
    ProcessHandle broker = onlyChild(main);

    try (Admin admin = KafkaTopics.admin(bootstrapServers)) {
      assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
    }
    try (S3Client s3 = EmbeddedS3.clientFor(s3Endpoint)) {
      s3.createBucket(b -> b.bucket("main-process-test"));
      assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).containsExactly("main-process-test");
    }

    main.destroy(); // SIGTERM: the same shutdown hook as Ctrl-C's SIGINT

    assertThat(main.waitFor(60, TimeUnit.SECONDS)).as("main exited").isTrue();
    assertThat(broker.isAlive()).as("broker exited with main").isFalse();
    assertThat(Files.readString(output, StandardCharsets.UTF_8)).contains("kaption infra: stopping");
  }

  @Test
  void theBrokerDoesNotOutliveAKilledMain() throws Exception {
    startMain();
    ProcessHandle broker = onlyChild(main);

    main.destroyForcibly(); // SIGKILL: no shutdown hook runs; the broker must notice on its own

    assertThat(main.waitFor(30, TimeUnit.SECONDS)).isTrue();
    broker.onExit().get(60, TimeUnit.SECONDS);
    assertThat(broker.isAlive()).isFalse();
    assertThat(Files.readString(dataDir.resolve("kafka/broker.out"), StandardCharsets.UTF_8))
        .contains("parent process gone");
  }

  /** Starts LocalStackMain on free ports and waits until it has printed its endpoints; returns its output. */
  private Path startMain() throws IOException {
    Path output = dataDir.resolve("main.out");
    ProcessBuilder builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
        "-cp", ChildClasspath.ofThisJvm(), LocalStackMain.class.getName()))
        .redirectErrorStream(true)
        .redirectOutput(output.toFile());
    builder.environment().put("KAPTION_KAFKA_PORT", "0");
    builder.environment().put("KAPTION_S3_PORT", "0");
    builder.environment().put("KAPTION_DATA_DIR", dataDir.toString());
    main = builder.start();
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
      assertThat(main.isAlive()).as("LocalStackMain running; output:%n%s", Files.readString(output)).isTrue();
      return Files.readString(output, StandardCharsets.UTF_8).contains("Ctrl-C stops everything");
    });
    return output;
  }

  private static ProcessHandle onlyChild(Process process) {
    List<ProcessHandle> children = process.children().toList();
    assertThat(children).hasSize(1);
    return children.get(0);
  }

  private static String group(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    assertThat(matcher.find()).as("%s in:%n%s", pattern, text).isTrue();
    return matcher.group(1);
  }
}
