package io.kaption.localstack.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Main of the child JVM that runs the broker: formats the KRaft storage (once), then runs {@code kafka.Kafka}.
 *
 * <p>The parent keeps this process's stdin open and never writes to it, so EOF on stdin means the parent is gone
 * (even after {@code kill -9}); the broker then shuts down instead of living on as an orphan.
 *
 * <p>Arguments: {@code <server.properties> <cluster-id>}.
 */
public final class KafkaBrokerMain {

  /** If Kafka's own shutdown hook hangs, do not outlive the parent by more than this. */
  private static final long ORPHAN_HALT_AFTER_MS = 30_000;

  private KafkaBrokerMain() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: KafkaBrokerMain <server.properties> <cluster-id>");
      System.exit(2);
    }
    String serverProperties = args[0];
    String clusterId = args[1];
    exitWhenParentDies();
    ignoreTerminalInterrupt();

    // --ignore-formatted: a persistent data directory keeps its cluster id across restarts.
    int formatted = kafka.tools.StorageTool.execute(
        new String[] {"format", "--config", serverProperties, "--cluster-id", clusterId, "--ignore-formatted"},
        new PrintStream(System.out, true, StandardCharsets.UTF_8));
    if (formatted != 0) {
      System.err.println("kafka storage format failed with exit code " + formatted);
      System.exit(formatted);
    }
    kafka.Kafka.main(new String[] {serverProperties});
  }

  /**
   * Ctrl-C in a terminal interrupts the whole process group. The child normally runs in a session of its own
   * ({@code setsid}), out of reach; where it cannot, this keeps it from going down on the same keystroke. The parent
   * stops the broker itself (SIGTERM, after the clients that use it have closed: a worker leaving its consumer group
   * needs the broker).
   */
  private static void ignoreTerminalInterrupt() {
    Signal.handle(new Signal("INT"), SignalHandler.SIG_IGN);
  }

  private static void exitWhenParentDies() {
    Thread watchdog = new Thread(() -> {
      drain(System.in);
      System.err.println("parent process gone (stdin closed): shutting the broker down");
      Thread halt = new Thread(() -> {
        sleepQuietly(ORPHAN_HALT_AFTER_MS);
        Runtime.getRuntime().halt(1);
      }, "orphan-halt");
      halt.setDaemon(true);
      halt.start();
      System.exit(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private static void drain(InputStream in) {
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // The parent writes nothing; only EOF matters.
      }
    } catch (IOException e) {
      // A broken pipe means the same as EOF: the parent is gone.
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
