package io.kaption.localstack.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Kaption main class in a child JVM on the test's classpath, so that a test can stop it the way an operating system
 * does: SIGKILL (no shutdown hook, no last commit, no leaving the consumer group), or a signal to its whole process
 * group (what systemd, a terminal's Ctrl-C or a container runtime send). Output goes to a log file of the test's.
 */
public final class ChildJvm implements AutoCloseable {

  private static final Path SETSID = Path.of("/usr/bin/setsid");
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;

  private ChildJvm(Process process) {
    this.process = process;
  }

  /** Starts {@code mainClass} in this process group, with {@code env} added to this JVM's environment. */
  public static ChildJvm start(Class<?> mainClass, Map<String, String> env, Path log, String... jvmOptions) {
    return start(mainClass, env, log, false, jvmOptions);
  }

  /**
   * Starts {@code mainClass} as the leader of a new session and process group ({@code setsid}), so that
   * {@link #signalGroup} reaches it and whatever it started in its group, and nothing of the test's.
   */
  public static ChildJvm startInOwnSession(Class<?> mainClass, Map<String, String> env, Path log,
      String... jvmOptions) {
    if (!Files.isExecutable(SETSID)) {
      throw new IllegalStateException(SETSID + " is needed to start a process in its own session");
    }
    return start(mainClass, env, log, true, jvmOptions);
  }

  private static ChildJvm start(Class<?> mainClass, Map<String, String> env, Path log, boolean ownSession,
      String... jvmOptions) {
    List<String> command = new ArrayList<>();
    if (ownSession) {
      command.add(SETSID.toString()); // execs in place: the pid stays the JVM's, and is its group's id
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      return new ChildJvm(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + mainClass.getName(), e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, and wait until it is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Sends {@code signal} (e.g. {@code TERM}, {@code KILL}) to the child's process group (only for
   * {@link #startInOwnSession}) and waits until the child is gone; returns its exit status.
   */
  public int signalGroupAndWait(String signal) throws InterruptedException, IOException {
    Process kill = new ProcessBuilder("kill", "-s", signal, "--", "-" + process.pid()).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -s " + signal + " -- -" + process.pid() + " failed");
    }
    if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("pid " + process.pid() + " still runs " + STOP_TIMEOUT + " after SIG" + signal);
    }
    return process.exitValue();
  }

  /**
   * The live processes of the child's process group (for {@link #startInOwnSession}: the child and whatever it
   * started without a session of its own), read from {@code /proc}; empty once they are all gone.
   */
  public List<Long> groupMembers() throws IOException {
    List<Long> members = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      for (Path entry : entries.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        String stat;
        try {
          stat = Files.readString(entry.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after its last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (Long.parseLong(fields[2]) == process.pid() && !fields[0].equals("Z")) {
          members.add(Long.parseLong(entry.getFileName().toString()));
        }
      }
    }
    return members;
  }

  /** SIGTERM (the service's own shutdown), SIGKILL if it has not stopped within a minute. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      kill();
    }
  }
}
