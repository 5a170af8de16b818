package io.kaption.engine.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The tensors of one checkpoint directory: a sharded checkpoint ({@code model.safetensors.index.json}) or every
 * {@code *.safetensors} file in the directory.
 */
public final class TensorSource implements AutoCloseable {

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private TensorSource(Path directory, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.directory = directory;
        this.files = files;
        this.byName = byName;
    }

    public static TensorSource open(Path directory) {
        List<Path> paths = shardPaths(directory);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byName = new HashMap<>();
        try {
            for (Path path : paths) {
                SafetensorsFile file = SafetensorsFile.open(path);
                files.add(file);
                for (String name : file.names()) {
                    if (byName.put(name, file) != null) {
                        throw new IllegalArgumentException(directory + ": tensor " + name + " appears in two files");
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new TensorSource(directory, files, byName);
    }

    private static List<Path> shardPaths(Path directory) {
        Path index = directory.resolve("model.safetensors.index.json");
        try {
            if (Files.isRegularFile(index)) {
                JsonNode weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
                Set<String> shards = new TreeSet<>();
                for (Iterator<JsonNode> it = weightMap.elements(); it.hasNext(); ) {
                    shards.add(it.next().asText());
                }
                if (shards.isEmpty()) {
                    throw new IllegalArgumentException(index + " has an empty weight_map");
                }
                return shards.stream().map(directory::resolve).toList();
            }
            try (Stream<Path> listing = Files.list(directory)) {
                List<Path> found = listing.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                        .sorted().toList();
                if (found.isEmpty()) {
                    throw new IllegalArgumentException(directory + " holds no *.safetensors weights"
                            + (hasPytorchBin(directory) ? " (PyTorch .bin checkpoints are not supported: convert "
                            + "them to safetensors first)" : ""));
                }
                return found;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list weights in " + directory, e);
        }
    }

    private static boolean hasPytorchBin(Path directory) throws IOException {
        try (Stream<Path> listing = Files.list(directory)) {
            return listing.anyMatch(p -> p.getFileName().toString().endsWith(".bin"));
        }
    }

    public Path directory() {
        return directory;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public Set<String> names() {
        return byName.keySet();
    }

    public long[] shape(String name) {
        return file(name).shape(name);
    }

    public Tensor load(String name) {
        return file(name).load(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile file = byName.get(name);
        if (file == null) {
            throw new IllegalArgumentException(directory + " has no tensor " + name);
        }
        return file;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
