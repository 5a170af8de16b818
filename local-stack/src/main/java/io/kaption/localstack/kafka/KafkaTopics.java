package io.kaption.localstack.kafka;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Explicit topic creation: the local broker does not auto-create topics, so partition counts are always chosen. */
public final class KafkaTopics {

  private static final long ADMIN_TIMEOUT_SECONDS = 30;
  /** A single broker holds exactly one replica of everything. */
  private static final short REPLICATION_FACTOR = 1;

  private KafkaTopics() {}

  /** An admin client for a local broker, failing a call after {@value #ADMIN_TIMEOUT_SECONDS} s. */
  public static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(ADMIN_TIMEOUT_SECONDS),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(ADMIN_TIMEOUT_SECONDS)));
  }

  /**
   * Creates {@code name} with {@code partitions} partitions; does nothing if it already exists with that count.
   * Returns once every partition has a leader, so the caller can produce to it at once.
   *
   * @throws IllegalStateException if the topic exists with a different partition count
   */
  public static void create(Admin admin, String name, int partitions) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + ": partitions must be at least 1, got " + partitions);
    }
    try {
      await(admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.of(REPLICATION_FACTOR))))
          .all());
    } catch (TopicExistsException exists) {
      // Checked below, once the topic's metadata has reached the broker.
    }
    int existing = awaitLeaders(admin, name);
    if (existing != partitions) {
      throw new IllegalStateException(
          "topic " + name + " already exists with " + existing + " partitions, not " + partitions);
    }
  }

  /**
   * The topic's partition count once every partition has a leader. A topic the controller has just created (or
   * that another client is creating) can be unknown to the broker's metadata for a moment: describe until it is not.
   */
  private static int awaitLeaders(Admin admin, String name) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
    while (true) {
      try {
        TopicDescription description = await(admin.describeTopics(List.of(name)).topicNameValues().get(name));
        if (description.partitions().stream().allMatch(partition -> partition.leader() != null)) {
          return description.partitions().size();
        }
      } catch (UnknownTopicOrPartitionException notYetKnown) {
        // Retried below.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topic " + name + " has no leader for every partition after "
            + ADMIN_TIMEOUT_SECONDS + " s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for topic " + name, e);
      }
    }
  }

  public static int partitionCount(Admin admin, String name) {
    TopicDescription description = await(admin.describeTopics(List.of(name)).topicNameValues().get(name));
    return description.partitions().size();
  }

  /** Waits for an admin result, rethrowing Kafka's own exception (e.g. {@link TopicExistsException}) unwrapped. */
  private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future) {
    try {
      return future.get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka admin call timed out after " + ADMIN_TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    }
  }
}
