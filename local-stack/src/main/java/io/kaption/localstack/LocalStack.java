package io.kaption.localstack;

import io.kaption.localstack.kafka.EmbeddedKafka;
import io.kaption.localstack.s3.EmbeddedS3;
import java.net.URI;
import java.nio.file.Path;

/** Kafka and S3 on this machine, persisted under one data directory: what {@code bin/kaption local} runs. */
public final class LocalStack implements AutoCloseable {

  private final EmbeddedKafka kafka;
  private final EmbeddedS3 s3;

  private LocalStack(EmbeddedKafka kafka, EmbeddedS3 s3) {
    this.kafka = kafka;
    this.s3 = s3;
  }

  /**
   * Starts Kafka on {@code kafkaPort} with its data in {@code dataDir/kafka} and S3 on {@code s3Port} with its
   * objects in {@code dataDir/s3}; a port of 0 picks a free one.
   */
  public static LocalStack start(int kafkaPort, int s3Port, Path dataDir) {
    Path root = dataDir.toAbsolutePath();
    EmbeddedS3 s3 = EmbeddedS3.startOnDisk(s3Port, root.resolve("s3"));
    try {
      return new LocalStack(EmbeddedKafka.start(kafkaPort, root.resolve("kafka")), s3);
    } catch (RuntimeException e) {
      s3.close();
      throw e;
    }
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public EmbeddedS3 s3() {
    return s3;
  }

  public String kafkaBootstrapServers() {
    return kafka.bootstrapServers();
  }

  public URI s3Endpoint() {
    return s3.endpoint();
  }

  /** See {@link EmbeddedKafka#leaveShutdownToOwner()}: the caller's shutdown hook closes this stack. */
  public void leaveShutdownToOwner() {
    kafka.leaveShutdownToOwner();
  }

  @Override
  public void close() {
    try {
      kafka.close();
    } finally {
      s3.close();
    }
  }
}
