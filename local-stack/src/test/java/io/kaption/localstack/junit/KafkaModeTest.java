package io.kaption.localstack.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaModeTest {

  @TempDir Path home;

  @Test
  void autoFallsBackToEmbeddedWhenDockerHostIsAMissingSocket() {
    Map<String, String> env = Map.of("DOCKER_HOST", "unix:///nonexistent/docker.sock", "HOME", home.toString());

    assertThat(DockerProbe.hasCandidateEndpoint(env)).isFalse();
    assertThat(SharedInfrastructure.chooseKafkaMode(env)).isEqualTo("embedded");
  }

  @Test
  void aSocketFileIsACandidateDockerEndpoint() throws Exception {
    Path socket = Files.createFile(home.resolve("docker.sock"));

    assertThat(DockerProbe.hasCandidateEndpoint(Map.of("DOCKER_HOST", "unix://" + socket))).isTrue();
    assertThat(DockerProbe.hasCandidateEndpoint(Map.of("DOCKER_HOST", "tcp://127.0.0.1:2375"))).isTrue();
  }

  @Test
  void withoutDockerHostTheUsualSocketsAreLookedFor() throws Exception {
    Map<String, String> env = Map.of("HOME", home.toString());
    boolean systemSocket = Files.exists(Path.of("/var/run/docker.sock"));
    assertThat(DockerProbe.hasCandidateEndpoint(env)).isEqualTo(systemSocket);

    Files.createDirectories(home.resolve(".docker/run"));
    Files.createFile(home.resolve(".docker/run/docker.sock"));
    assertThat(DockerProbe.hasCandidateEndpoint(env)).isTrue();
  }

  @Test
  void embeddedCanBeForcedAndUnknownModesAreRejected() {
    assertThat(SharedInfrastructure.chooseKafkaMode(Map.of("KAPTION_TEST_KAFKA", "EMBEDDED"))).isEqualTo("embedded");
    assertThatThrownBy(() -> SharedInfrastructure.chooseKafkaMode(Map.of("KAPTION_TEST_KAFKA", "podman")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KAPTION_TEST_KAFKA must be embedded, docker or auto, got 'podman'");
  }

  @Test
  void dockerCanBeForcedWhenTestcontainersIsOnTheClasspath() {
    assertThat(DockerProbe.testcontainersOnClasspath()).isTrue();
    assertThat(SharedInfrastructure.chooseKafkaMode(Map.of("KAPTION_TEST_KAFKA", "docker")))
        .isEqualTo("testcontainers");
  }

  @Test
  void imagesAbsentFromTheEngineAreMissingAndRyukCountsUnlessDisabled() {
    Set<String> local = Set.of("apache/kafka:4.3.1");

    assertThat(DockerProbe.missingImages(Map.of(), "apache/kafka:4.3.1", "testcontainers/ryuk:0.13.0",
        local::contains)).containsExactly("testcontainers/ryuk:0.13.0");
    assertThat(DockerProbe.missingImages(Map.of("TESTCONTAINERS_RYUK_DISABLED", "true"), "apache/kafka:4.3.1",
        "testcontainers/ryuk:0.13.0", local::contains)).isEmpty();
    assertThat(DockerProbe.missingImages(Map.of("TESTCONTAINERS_RYUK_DISABLED", "true"), "apache/kafka:9.9.9",
        "testcontainers/ryuk:0.13.0", local::contains)).containsExactly("apache/kafka:9.9.9");
  }

  @Test
  void insideAContainerTheDockerHostMustBeNamedForAutoToUseDocker() {
    assertThat(DockerProbe.needsHostLookupContainer(Map.of(), true)).isTrue();
    assertThat(DockerProbe.needsHostLookupContainer(Map.of("TESTCONTAINERS_HOST_OVERRIDE", "localhost"), true))
        .isFalse();
    assertThat(DockerProbe.needsHostLookupContainer(Map.of(), false)).isFalse();
  }
}
