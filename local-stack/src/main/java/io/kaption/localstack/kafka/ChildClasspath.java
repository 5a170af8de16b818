package io.kaption.localstack.kafka;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

/**
 * The classpath for a child JVM: this JVM's own, made explicit.
 *
 * <p>Under Surefire {@code java.class.path} is a manifest-only booter jar whose {@code Class-Path} lists the real
 * entries (and lives only as long as the test JVM); from {@code bin/kaption} it is the launcher's expanded
 * {@code jar:lib/*}. Expanding manifest {@code Class-Path} attributes covers both and gives the child the same
 * classes the parent sees, including every dependency of the Kafka server jars.
 */
public final class ChildClasspath {

  private ChildClasspath() {}

  public static String ofThisJvm() {
    return resolve(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
  }

  static String resolve(List<String> entries) {
    Set<Path> resolved = new LinkedHashSet<>();
    for (String entry : entries) {
      if (!entry.isBlank()) {
        addWithManifestClassPath(Path.of(entry).toAbsolutePath().normalize(), resolved);
      }
    }
    return resolved.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }

  private static void addWithManifestClassPath(Path entry, Set<Path> resolved) {
    if (!Files.exists(entry) || !resolved.add(entry) || !isJar(entry)) {
      return;
    }
    for (Path referenced : manifestClassPath(entry)) {
      addWithManifestClassPath(referenced, resolved);
    }
  }

  private static boolean isJar(Path entry) {
    return Files.isRegularFile(entry) && entry.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar");
  }

  /** Entries of the jar's {@code Class-Path}: space-separated URLs relative to the jar's own location. */
  private static List<Path> manifestClassPath(Path jar) {
    try (JarFile jarFile = new JarFile(jar.toFile())) {
      Manifest manifest = jarFile.getManifest();
      String classPath = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
      if (classPath == null || classPath.isBlank()) {
        return List.of();
      }
      URI base = jar.toUri();
      return Arrays.stream(classPath.trim().split("\\s+"))
          .map(base::resolve)
          .filter(uri -> "file".equals(uri.getScheme()))
          .map(Path::of)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the manifest of classpath entry " + jar, e);
    }
  }
}
