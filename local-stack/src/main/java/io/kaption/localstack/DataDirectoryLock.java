package io.kaption.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One {@code bin/kaption local} or {@code infra} per data directory: an OS file lock on {@code kaption.lock}, held
 * until this process exits (the OS releases it on any exit, {@code kill -9} included, so it is never stale). A start
 * right after a stop waits for the previous process to finish its shutdown instead of failing on the ports it still
 * holds, and two runs never share the broker's log, the buckets or the sink's state stores.
 */
public final class DataDirectoryLock {

  static final String FILE = "kaption.lock";
  /** Held for the life of the JVM: a channel that became unreachable would be closed, and its lock released. */
  private static FileChannel held;

  private DataDirectoryLock() {}

  /**
   * Takes the lock of {@code dataDir}, waiting at most {@code wait} for another process to release it; tells
   * {@code waiting} once (with the holder's pid) if it has to wait.
   *
   * @throws IllegalStateException if the lock is still held after {@code wait}
   */
  public static synchronized void acquire(Path dataDir, Duration wait, Consumer<String> waiting) {
    if (held != null) {
      throw new IllegalStateException("this process already holds a data directory lock");
    }
    Path file = dataDir.toAbsolutePath().resolve(FILE);
    try {
      Files.createDirectories(file.getParent());
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      long deadline = System.nanoTime() + wait.toNanos();
      boolean told = false;
      FileLock lock;
      while ((lock = channel.tryLock()) == null) {
        String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (System.nanoTime() > deadline) {
          channel.close();
          throw new IllegalStateException("the data directory " + dataDir + " is in use by another Kaption process"
              + (holder.isEmpty() ? "" : " (pid " + holder + ")") + " that did not stop within " + wait.toSeconds()
              + " s; stop it, or choose another KAPTION_DATA_DIR");
        }
        if (!told) {
          waiting.accept("waiting for the previous Kaption process on " + dataDir
              + (holder.isEmpty() ? "" : " (pid " + holder + ")") + " to stop");
          told = true;
        }
        Thread.sleep(100);
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      held = channel;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock the data directory " + dataDir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the data directory " + dataDir, e);
    }
  }
}
