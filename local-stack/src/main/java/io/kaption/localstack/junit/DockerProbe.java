package io.kaption.localstack.junit;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Is a Docker engine reachable for Testcontainers? Answers "no" at once when there is nowhere Docker could be, so
 * that a machine without Docker falls back to the embedded broker without Testcontainers' slower discovery.
 */
final class DockerProbe {

  private static final String TESTCONTAINERS_FACTORY = "org.testcontainers.DockerClientFactory";

  private DockerProbe() {}

  static boolean isDockerAvailable(Map<String, String> env) {
    return testcontainersOnClasspath() && hasCandidateEndpoint(env) && TestcontainersKafka.isDockerAvailable();
  }

  /**
   * Which of the images a Testcontainers broker needs are not held by the engine: the Kafka image and, unless
   * {@code TESTCONTAINERS_RYUK_DISABLED=true}, Testcontainers' Ryuk image (its reaper container). {@code auto} uses
   * Docker only when none is missing: an engine that cannot pull (no registry) would otherwise fail the tests.
   */
  static List<String> missingImages(Map<String, String> env, String kafkaImage, String ryukImage,
      Predicate<String> presentLocally) {
    boolean ryukDisabled = Boolean.parseBoolean(env.getOrDefault("TESTCONTAINERS_RYUK_DISABLED", "false"));
    return Stream.of(kafkaImage, ryukDisabled ? null : ryukImage)
        .filter(image -> image != null && !presentLocally.test(image))
        .toList();
  }

  /**
   * Whether Testcontainers would have to start a helper container (the alpine image) to find the Docker host: it does
   * so when it runs inside a container ({@code /.dockerenv}) unless {@code TESTCONTAINERS_HOST_OVERRIDE} names the
   * host. Where nothing can be pulled that costs minutes before failing, so {@code auto} does not try.
   */
  static boolean needsHostLookupContainer(Map<String, String> env, boolean insideContainer) {
    String override = env.get("TESTCONTAINERS_HOST_OVERRIDE");
    return insideContainer && (override == null || override.isBlank());
  }

  static boolean insideContainer() {
    return Files.exists(Path.of("/.dockerenv"));
  }

  static boolean testcontainersOnClasspath() {
    try {
      Class.forName(TESTCONTAINERS_FACTORY, false, DockerProbe.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * Whether some Docker endpoint may exist. {@code DOCKER_HOST}, when set, is the only candidate (as for the
   * Docker CLI), so pointing it at a missing socket reliably means "no Docker".
   */
  static boolean hasCandidateEndpoint(Map<String, String> env) {
    String dockerHost = env.get("DOCKER_HOST");
    if (dockerHost != null && !dockerHost.isBlank()) {
      URI uri = URI.create(dockerHost.trim());
      if ("unix".equals(uri.getScheme())) {
        return Files.exists(Path.of(uri.getPath()));
      }
      // tcp:// and others: only a connection attempt can tell; Testcontainers makes it.
      return true;
    }
    List<Path> sockets = new ArrayList<>(List.of(Path.of("/var/run/docker.sock")));
    String home = env.get("HOME");
    if (home != null) {
      sockets.add(Path.of(home, ".docker", "run", "docker.sock"));
      sockets.add(Path.of(home, ".docker", "desktop", "docker.sock"));
      // Testcontainers' own configuration may name an endpoint.
      sockets.add(Path.of(home, ".testcontainers.properties"));
    }
    String runtimeDir = env.get("XDG_RUNTIME_DIR");
    if (runtimeDir != null) {
      sockets.add(Path.of(runtimeDir, "docker.sock"));
    }
    return sockets.stream().anyMatch(Files::exists);
  }
}
