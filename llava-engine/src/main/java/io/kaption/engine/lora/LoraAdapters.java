package io.kaption.engine.lora;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.checkpoint.TextConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adapters of one directory ({@code KAPTION_LORA_DIR}, {@code --lora-dir}): {@code lora_id} names a
 * sub-directory, loaded on first use and kept in a least-recently-used set of at most {@code maxLoaded}. Eviction
 * skips adapters that running or waiting requests use (the set may then hold more for a while) and frees the
 * evicted adapter's weights at once. A failed load is not remembered: the next request tries again, so a fixed file
 * is picked up without a restart.
 */
public final class LoraAdapters implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoraAdapters.class);
    /** A plain directory name: no path separators, no "..", nothing hidden. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path directory;
    private final int maxLoaded;
    private final TextConfig text;
    private final NDManager manager;
    private final DataType computeType;
    private final LinkedHashMap<String, LoraAdapter> loaded = new LinkedHashMap<>(16, 0.75f, true);

    public LoraAdapters(Path directory, int maxLoaded, TextConfig text, NDManager manager, DataType computeType) {
        if (maxLoaded < 1) {
            throw new IllegalArgumentException("at least one LoRA adapter must fit (max loaded " + maxLoaded + ")");
        }
        this.directory = directory;
        this.maxLoaded = maxLoaded;
        this.text = text;
        this.manager = manager;
        this.computeType = computeType;
    }

    public Path directory() {
        return directory;
    }

    /**
     * The adapter named {@code id}, loaded now if it is not yet, marked as in use until the caller (or the
     * engine, for a request that carries it) calls {@link LoraAdapter#release()}.
     *
     * @throws LoraAdapterException when no such adapter exists or it cannot be used with this model
     */
    public synchronized LoraAdapter acquire(String id) {
        LoraAdapter adapter = load(id);
        adapter.acquire();
        evictUnused();
        return adapter;
    }

    /**
     * Loads {@code id} now if it is not loaded (e.g. off the decoding thread), without holding it.
     *
     * @throws LoraAdapterException when no such adapter exists or it cannot be used with this model
     */
    public synchronized void preload(String id) {
        acquire(id).release();
    }

    private LoraAdapter load(String id) {
        LoraAdapter adapter = loaded.get(id);
        if (adapter != null) {
            return adapter;
        }
        if (!ID.matcher(id).matches()) {
            throw new LoraAdapterException("unknown LoRA adapter '" + id + "': an adapter name is a directory name "
                    + "(letters, digits, '.', '_', '-')");
        }
        Path dir = directory.resolve(id);
        if (!Files.isDirectory(dir)) {
            throw new LoraAdapterException("unknown LoRA adapter '" + id + "': no directory " + id + " in "
                    + directory);
        }
        long started = System.nanoTime();
        adapter = LoraAdapter.load(id, dir, text, manager, computeType);
        loaded.put(id, adapter);
        LOG.info("loaded LoRA adapter {} from {} in {} ms", id, dir, (System.nanoTime() - started) / 1_000_000);
        return adapter;
    }

    /** Names of the adapters in the directory (sub-directories with an adapter_config.json), sorted. */
    public List<String> available() {
        try (var entries = Files.list(directory)) {
            return entries.filter(p -> Files.isRegularFile(p.resolve("adapter_config.json")))
                    .map(p -> p.getFileName().toString()).filter(n -> ID.matcher(n).matches()).sorted().toList();
        } catch (IOException e) {
            LOG.warn("cannot list LoRA adapters in {}: {}", directory, e.toString());
            return List.of();
        }
    }

    /** Names of the adapters loaded now, least recently used first. */
    public synchronized List<String> loaded() {
        return List.copyOf(loaded.keySet());
    }

    private void evictUnused() {
        for (Iterator<Map.Entry<String, LoraAdapter>> it = loaded.entrySet().iterator();
                it.hasNext() && loaded.size() > maxLoaded; ) {
            Map.Entry<String, LoraAdapter> eldest = it.next();
            if (!eldest.getValue().inUse()) {
                it.remove();
                eldest.getValue().close();
                LOG.info("evicted LoRA adapter {} (at most {} loaded)", eldest.getKey(), maxLoaded);
            }
        }
    }

    @Override
    public synchronized void close() {
        loaded.values().forEach(LoraAdapter::close);
        loaded.clear();
    }
}
