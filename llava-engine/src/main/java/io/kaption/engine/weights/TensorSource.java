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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tensors of one checkpoint directory, found as transformers finds them: safetensors first
 * ({@code model.safetensors.index.json}, else every {@code *.safetensors} file), else PyTorch's
 * {@code pytorch_model.bin.index.json} shards or a single {@code pytorch_model.bin}. Other {@code .bin} files
 * (e.g. {@code training_args.bin}, a pickle of anything) are never opened.
 */
public final class TensorSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TensorSource.class);
    private static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    private static final String TORCH_INDEX = "pytorch_model.bin.index.json";
    private static final String TORCH_SINGLE = "pytorch_model.bin";

    /** The files to open, and the index's tensor → file map to check them against (empty without index). */
    private record Layout(List<Path> files, Map<String, String> weightMap) {}

    private final Path directory;
    private final List<TensorFile> files;
    private final Map<String, TensorFile> byName;

    private TensorSource(Path directory, List<TensorFile> files, Map<String, TensorFile> byName) {
        this.directory = directory;
        this.files = files;
        this.byName = byName;
    }

    public static TensorSource open(Path directory) {
        Layout layout = layout(directory);
        List<TensorFile> files = new ArrayList<>();
        Map<String, TensorFile> byName = new HashMap<>();
        Map<String, Path> pathOf = new HashMap<>();
        try {
            for (Path path : layout.files()) {
                TensorFile file = path.getFileName().toString().endsWith(".safetensors")
                        ? SafetensorsFile.open(path) : TorchCheckpointFile.open(path);
                files.add(file);
                for (String name : file.names()) {
                    if (byName.put(name, file) != null) {
                        throw new IllegalArgumentException(directory + ": tensor " + name + " appears in two files");
                    }
                    pathOf.put(name, path);
                }
            }
            for (Map.Entry<String, String> listed : layout.weightMap().entrySet()) {
                if (!directory.resolve(listed.getValue()).equals(pathOf.get(listed.getKey()))) {
                    throw new IllegalArgumentException(directory + ": the index puts tensor " + listed.getKey()
                            + " in " + listed.getValue() + ", which does not hold it");
                }
            }
        } catch (RuntimeException e) {
            files.forEach(TensorFile::close);
            throw e;
        }
        return new TensorSource(directory, files, byName);
    }

    private static Layout layout(Path directory) {
        try {
            List<Path> safetensors;
            try (Stream<Path> listing = Files.list(directory)) {
                safetensors = listing.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            boolean safetensorsIndex = Files.isRegularFile(directory.resolve(SAFETENSORS_INDEX));
            boolean torchWeights = Files.isRegularFile(directory.resolve(TORCH_INDEX))
                    || Files.isRegularFile(directory.resolve(TORCH_SINGLE));
            if ((safetensorsIndex || !safetensors.isEmpty()) && torchWeights) {
                LOG.info("{} holds both safetensors and PyTorch .bin weights: loading the safetensors (as "
                        + "transformers does)", directory);
            }
            if (safetensorsIndex) {
                return indexed(directory, SAFETENSORS_INDEX);
            }
            if (!safetensors.isEmpty()) {
                return new Layout(safetensors, Map.of());
            }
            if (Files.isRegularFile(directory.resolve(TORCH_INDEX))) {
                return indexed(directory, TORCH_INDEX);
            }
            if (Files.isRegularFile(directory.resolve(TORCH_SINGLE))) {
                return new Layout(List.of(directory.resolve(TORCH_SINGLE)), Map.of());
            }
            throw new IllegalArgumentException(directory + " holds no weights: expected " + SAFETENSORS_INDEX
                    + ", *.safetensors, " + TORCH_INDEX + " or " + TORCH_SINGLE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list weights in " + directory, e);
        }
    }

    /** The shards an index names; each must exist. */
    private static Layout indexed(Path directory, String indexName) throws IOException {
        Path index = directory.resolve(indexName);
        JsonNode weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        Map<String, String> listed = new HashMap<>();
        Set<String> shards = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new IllegalArgumentException(index + ": weight_map." + entry.getKey() + " is not a file name");
            }
            listed.put(entry.getKey(), entry.getValue().asText());
            shards.add(entry.getValue().asText());
        }
        if (shards.isEmpty()) {
            throw new IllegalArgumentException(index + " has an empty weight_map");
        }
        List<Path> files = new ArrayList<>();
        for (String shard : shards) {
            if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                throw new IllegalArgumentException(index + " names a shard outside its directory: " + shard);
            }
            Path file = directory.resolve(shard);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(directory + ": shard " + shard + " named by " + indexName
                        + " is missing");
            }
            files.add(file);
        }
        LOG.info("{}: {} weight shards named by {}", directory, files.size(), indexName);
        return new Layout(files, listed);
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

    /** The stored element type, e.g. "F16" (see {@link TensorFile#storedType}). */
    public String storedType(String name) {
        return file(name).storedType(name);
    }

    public Tensor load(String name) {
        return file(name).load(name);
    }

    private TensorFile file(String name) {
        TensorFile file = byName.get(name);
        if (file == null) {
            throw new IllegalArgumentException(directory + " has no tensor " + name);
        }
        return file;
    }

    @Override
    public void close() {
        files.forEach(TensorFile::close);
    }
}
