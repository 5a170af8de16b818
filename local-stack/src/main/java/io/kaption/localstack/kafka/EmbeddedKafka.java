package io.kaption.localstack.kafka;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka broker (KRaft, combined broker + controller) in a child JVM, listening on
 * 127.0.0.1.
 *
 * <p>A child JVM rather than in-process: the broker's Scala runtime, log4j/metrics wiring and static state stay
 * out of the caller's JVM, and the broker can be stopped (or killed) as a whole. The child runs
 * {@link KafkaBrokerMain}, which exits when the parent dies; a shutdown hook here stops it on a normal exit.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private static final String HOST = "127.0.0.1";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(20);
  private static final int LOG_TAIL_LINES = 60;
  /** Free ports are picked before the child binds them; another process may take one in between. */
  private static final int PORT_ATTEMPTS = 3;
  /** Small heap and serial GC: the broker shares a small machine with the tests and services it serves. */
  private static final List<String> CHILD_JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC");

  private final Process process;
  private final int port;
  private final Path dataDir;
  private final boolean deleteDataDirOnClose;
  private final Path logFile;
  private final Admin admin;
  private final Thread shutdownHook;

  private EmbeddedKafka(Process process, int port, Path dataDir, boolean deleteDataDirOnClose, Path logFile,
      Admin admin) {
    this.process = process;
    this.port = port;
    this.dataDir = dataDir;
    this.deleteDataDirOnClose = deleteDataDirOnClose;
    this.logFile = logFile;
    this.admin = admin;
    this.shutdownHook = new Thread(this::stopBroker, "embedded-kafka-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * How clients must connect to a broker that does not take plaintext: TLS with {@code certificates}, then a SASL
   * SCRAM-SHA-512 login as one of {@code scramUsers} (name to password).
   */
  public record SaslSsl(LocalCertificates certificates, Map<String, String> scramUsers) {
    public static final String MECHANISM = "SCRAM-SHA-512";

    public SaslSsl {
      scramUsers = Map.copyOf(scramUsers);
    }
  }

  /** A broker on a free port with its data in a temporary directory, deleted on {@link #close()}. */
  public static EmbeddedKafka startOnFreePort() {
    return startInTemporaryDirectory(Optional.empty());
  }

  /**
   * Like {@link #startOnFreePort()}, but the clients' listener is SASL_SSL: TLS with the given certificates and
   * SCRAM-SHA-512 logins of the given users. The broker's own traffic and {@link #createTopic} use a plaintext
   * listener of their own on another loopback port.
   */
  public static EmbeddedKafka startSaslSslOnFreePort(SaslSsl security) {
    return startInTemporaryDirectory(Optional.of(security));
  }

  private static EmbeddedKafka startInTemporaryDirectory(Optional<SaslSsl> security) {
    try {
      return start(0, Files.createTempDirectory("kaption-kafka-"), true, security);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for Kafka", e);
    }
  }

  /**
   * A broker on {@code port} (0 picks a free one) keeping its data under {@code dataDir}, which survives
   * {@link #close()} so that topics and records survive a restart.
   */
  public static EmbeddedKafka start(int port, Path dataDir) {
    return start(port, dataDir, false, Optional.empty());
  }

  private static EmbeddedKafka start(int requestedPort, Path dataDir, boolean deleteDataDirOnClose,
      Optional<SaslSsl> security) {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(requestedPort, dataDir, deleteDataDirOnClose, security);
      } catch (PortTakenException e) {
        if (attempt == PORT_ATTEMPTS) {
          throw e;
        }
        log.info("a port picked for Kafka was taken before the broker bound it; retrying with other ports");
      }
    }
  }

  private static EmbeddedKafka startOnce(int requestedPort, Path dataDir, boolean deleteDataDirOnClose,
      Optional<SaslSsl> security) {
    Path logFile = dataDir.resolve("broker.out");
    int port = requestedPort == 0 ? freePort() : requireFree(requestedPort);
    int controllerPort = freePort();
    int adminPort = security.isPresent() ? freePort() : port;
    Process process;
    try {
      Files.createDirectories(dataDir);
      Path logDir = dataDir.resolve("data");
      Path serverProperties = dataDir.resolve("server.properties");
      Files.writeString(serverProperties, serverProperties(port, controllerPort, logDir)
          + security.map(sasl -> saslSslProperties(sasl, port, adminPort, controllerPort)).orElse(""),
          StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(CHILD_JVM_OPTIONS);
      command.add("-Dlogback.configurationFile=io/kaption/localstack/kafka/broker-logback.xml");
      command.add("-cp");
      command.add(ChildClasspath.ofThisJvm());
      command.add(KafkaBrokerMain.class.getName());
      command.add(serverProperties.toString());
      command.add(clusterId(logDir));
      // stdin stays a pipe that the parent never writes: its EOF tells the child that the parent is gone.
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(logFile.toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Kafka broker JVM (output: " + logFile + ")", e);
    }
    String bootstrapServers = HOST + ":" + port;
    Admin admin;
    try {
      admin = awaitReady(process, adminPort, logFile);
      if (security.isPresent()) {
        addScramUsers(admin, security.get().scramUsers());
      }
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    log.info("Kafka broker (pid {}) ready on {}{}, data in {}, output in {}", process.pid(), bootstrapServers,
        security.isPresent() ? " (SASL_SSL)" : "", dataDir, logFile);
    return new EmbeddedKafka(process, port, dataDir, deleteDataDirOnClose, logFile, admin);
  }

  /** The id a formatted log directory already has (formatting again must repeat it), else a new one. */
  private static String clusterId(Path logDir) throws IOException {
    Path metaProperties = logDir.resolve("meta.properties");
    if (Files.isRegularFile(metaProperties)) {
      Properties meta = new Properties();
      try (Reader reader = Files.newBufferedReader(metaProperties, StandardCharsets.UTF_8)) {
        meta.load(reader);
      }
      String existing = meta.getProperty("cluster.id");
      if (existing != null) {
        return existing;
      }
    }
    return Uuid.randomUuid().toString();
  }

  private static String serverProperties(int port, int controllerPort, Path logDir) {
    return String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        // Static voters: the controller port may change between restarts of a persistent data directory.
        "controller.quorum.voters=1@" + HOST + ":" + controllerPort,
        "listeners=PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort,
        "advertised.listeners=PLAINTEXT://" + HOST + ":" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + logDir,
        // One node: every internal topic has one replica.
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=5",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "default.replication.factor=1",
        "min.insync.replicas=1",
        "group.initial.rebalance.delay.ms=0",
        // Topics are created explicitly, with chosen partition counts.
        "auto.create.topics.enable=false",
        "");
  }

  /**
   * The client listener becomes SASL_SSL; the broker's own traffic (and this class's admin client) keeps a plaintext
   * listener on {@code adminPort}. These lines come after the plain ones and override them.
   */
  private static String saslSslProperties(SaslSsl security, int port, int adminPort, int controllerPort) {
    LocalCertificates certificates = security.certificates();
    return String.join("\n",
        "listeners=SASL_SSL://" + HOST + ":" + port + ",INTERNAL://" + HOST + ":" + adminPort
            + ",CONTROLLER://" + HOST + ":" + controllerPort,
        "advertised.listeners=SASL_SSL://" + HOST + ":" + port + ",INTERNAL://" + HOST + ":" + adminPort,
        "listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=INTERNAL",
        "sasl.enabled.mechanisms=" + SaslSsl.MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
            + "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "ssl.keystore.type=PKCS12",
        "ssl.keystore.location=" + certificates.keyStore(),
        "ssl.keystore.password=" + certificates.password(),
        "ssl.key.password=" + certificates.password(),
        "");
  }

  /** Creates the SCRAM logins and waits until the broker knows them (a login right after must succeed). */
  private static void addScramUsers(Admin admin, Map<String, String> users) {
    List<UserScramCredentialAlteration> upserts = users.entrySet().stream()
        .<UserScramCredentialAlteration>map(user -> new UserScramCredentialUpsertion(user.getKey(),
            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), user.getValue()))
        .toList();
    try {
      admin.alterUserScramCredentials(upserts).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
      while (!admin.describeUserScramCredentials().users().get(30, TimeUnit.SECONDS).containsAll(users.keySet())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the broker did not list its SCRAM users " + users.keySet());
        }
        sleep(Duration.ofMillis(50));
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create SCRAM users on the Kafka broker", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating SCRAM users", e);
    }
  }

  /**
   * Waits for the port to accept connections (so the admin client does not log a warning per attempt), then
   * until the broker is registered; returns an admin client of the ready broker.
   */
  private static Admin awaitReady(Process process, int port, Path logFile) {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (!accepts(port)) {
      checkStarting(process, deadline, logFile);
      sleep(Duration.ofMillis(100));
    }
    Admin admin = KafkaTopics.admin(HOST + ":" + port);
    try {
      awaitRegistered(process, admin, deadline, logFile);
      return admin;
    } catch (RuntimeException e) {
      admin.close(Duration.ZERO);
      throw e;
    }
  }

  private static void awaitRegistered(Process process, Admin admin, long deadline, Path logFile) {
    while (true) {
      checkStarting(process, deadline, logFile);
      try {
        if (!admin.describeCluster().nodes().get(1, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (ExecutionException | TimeoutException notYet) {
        // Not serving requests yet: try again until the deadline.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
      }
    }
  }

  private static void checkStarting(Process process, long deadline, Path logFile) {
    if (!process.isAlive()) {
      String output = read(logFile);
      String message = "Kafka broker exited with code " + process.exitValue() + " during startup; output in "
          + logFile + ":\n" + summary(output);
      throw output.contains("Address already in use")
          ? new PortTakenException(message)
          : new IllegalStateException(message);
    }
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException("Kafka broker not ready after " + STARTUP_TIMEOUT.toSeconds()
          + " s; output in " + logFile + ":\n" + summary(read(logFile)));
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  public int port() {
    return port;
  }

  /** The broker's process id (a child of this JVM). */
  public long pid() {
    return process.pid();
  }

  /** Where the broker JVM's output goes. */
  public Path logFile() {
    return logFile;
  }

  /** Creates a topic with an explicit partition count; idempotent for the same count. */
  public void createTopic(String name, int partitions) {
    KafkaTopics.create(admin, name, partitions);
  }

  /**
   * For an owner whose own shutdown hook closes this broker after the clients that use it: drops the broker's safety
   * hook, which the JVM would run concurrently with the owner's (it starts all hooks at once) and so stop the broker
   * under its clients. If the owning JVM dies without closing, the child still stops on its own (stdin EOF).
   */
  public void leaveShutdownToOwner() {
    Runtime.getRuntime().removeShutdownHook(shutdownHook);
  }

  /** Stops the broker (controlled shutdown, forced after a bound) and waits until its process is gone. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or will run: stopping again below is harmless.
    }
    stopBroker();
    if (deleteDataDirOnClose) {
      deleteRecursively(dataDir);
    }
  }

  private synchronized void stopBroker() {
    admin.close(Duration.ZERO);
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        log.warn("Kafka broker (pid {}) did not stop within {} s; killing it", process.pid(),
            SHUTDOWN_TIMEOUT.toSeconds());
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + HOST, e);
    }
  }

  /** Fails early and clearly, and keeps the readiness check from talking to whatever holds the port. */
  private static int requireFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return port;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run Kafka on " + HOST + ":" + port + ": the port is in use", e);
    }
  }

  private static String read(Path file) {
    try {
      // Lenient decoding: the output is for a human, and a torn last line must not hide the rest.
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** The first error (the cause; shutdown noise follows it) and the last lines of the broker's output. */
  private static String summary(String output) {
    List<String> lines = output.lines().toList();
    String firstError = lines.stream().filter(line -> line.contains(" ERROR ") || line.startsWith("Exception"))
        .findFirst().map(line -> "first error: " + line + "\n...\n").orElse("");
    return firstError + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      log.warn("cannot delete Kafka data directory {}: {}", dir, e.getMessage());
    }
  }

  /** The broker could not bind a port that was free a moment before. */
  private static final class PortTakenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }
}
