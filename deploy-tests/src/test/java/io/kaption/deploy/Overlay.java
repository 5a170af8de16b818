package io.kaption.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One Kustomize overlay of {@code k8s/overlays/}, rendered by {@code kubectl kustomize} (offline), with the objects it
 * renders. Rendered once per test JVM.
 *
 * @param name    the overlay's directory name, e.g. {@code gpu}
 * @param yaml    the rendered manifests, as {@code kubectl apply -k} would send them
 * @param objects the rendered objects, in order
 */
record Overlay(String name, String yaml, List<JsonNode> objects) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, Overlay> RENDERED = new ConcurrentHashMap<>();

    static Path k8sDirectory() {
        return Path.of(System.getProperty("kaption.k8s.dir", "../k8s")).toAbsolutePath().normalize();
    }

    /** The directory names under {@code k8s/overlays/}: every overlay is checked, including ones added later. */
    static List<String> names() {
        try (Stream<Path> entries = Files.list(k8sDirectory().resolve("overlays"))) {
            List<String> names = entries.filter(Files::isDirectory)
                    .filter(dir -> Files.exists(dir.resolve("kustomization.yaml")))
                    .map(dir -> dir.getFileName().toString()).sorted().toList();
            if (names.isEmpty()) {
                throw new AssertionError("no overlay under " + k8sDirectory().resolve("overlays"));
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Overlay rendered(String name) {
        return RENDERED.computeIfAbsent(name, Overlay::render);
    }

    private static Overlay render(String name) {
        Path directory = k8sDirectory().resolve("overlays").resolve(name);
        String yaml = Tools.runChecked(List.of("kubectl", "kustomize", directory.toString()), k8sDirectory(),
                Duration.ofMinutes(1));
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNext()) {
                JsonNode object = documents.next();
                if (object != null && !object.isNull() && !object.isMissingNode()) {
                    objects.add(object);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("kubectl kustomize " + directory + " rendered YAML that does not parse", e);
        }
        return new Overlay(name, yaml, List.copyOf(objects));
    }

    List<JsonNode> all(String kind) {
        return objects.stream().filter(object -> kind.equals(object.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return all(kind).stream().filter(object -> name.equals(object.path("metadata").path("name").asText()))
                .findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(
                "overlay " + this.name + " renders no " + kind + " named " + name));
    }

    /** Deployments, StatefulSets, DaemonSets and Jobs: everything with a pod template. */
    List<JsonNode> workloads() {
        return objects.stream().filter(object -> object.path("spec").path("template").has("spec")).toList();
    }

    @Override
    public String toString() {
        return name;
    }
}
