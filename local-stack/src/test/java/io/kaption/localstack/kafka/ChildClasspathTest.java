package io.kaption.localstack.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildClasspathTest {

  @TempDir Path dir;

  @Test
  void manifestOnlyJarsAreExpandedInPlace() throws IOException {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Path first = emptyJar(lib.resolve("first.jar"), null);
    Path second = emptyJar(lib.resolve("second jar.jar"), null);
    Path booter = emptyJar(dir.resolve("booter.jar"),
        "lib/first.jar lib/second%20jar.jar " + dir.resolve("missing.jar").toUri());
    Path last = emptyJar(dir.resolve("last.jar"), null);

    String classpath = ChildClasspath.resolve(List.of(classes.toString(), booter.toString(), last.toString(),
        first.toString()));

    assertThat(classpath.split(File.pathSeparator)).containsExactly(
        classes.toString(), booter.toString(), first.toString(), second.toString(), last.toString());
  }

  @Test
  void thisJvmsClasspathReachesTheBrokerJars() {
    String classpath = ChildClasspath.ofThisJvm();

    assertThat(classpath).contains("kafka_2.13-", "kafka-server-", "scala-library-");
  }

  private static Path emptyJar(Path path, String classPath) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (classPath != null) {
      manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    try (OutputStream out = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(out, manifest)) {
      return path;
    }
  }
}
