package io.kaption.engine.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header, then raw C-order data.
 * Tensors are memory-mapped one at a time when loaded, so large shards never become one big byte array.
 */
public final class SafetensorsFile implements TensorFile {

    private record Entry(StoredType type, long[] shape, long begin, long end) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > 100_000_000 || 8 + headerLength > channel.size()) {
                throw new IllegalArgumentException(path + " is not a safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLength;
            long dataSize = channel.size() - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode node = field.getValue();
                StoredType type = StoredType.parse(node.path("dtype").asText(), field.getKey());
                long[] shape = new long[node.path("shape").size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = node.path("shape").get(i).asLong();
                    count *= shape[i];
                }
                long begin = node.path("data_offsets").get(0).asLong();
                long end = node.path("data_offsets").get(1).asLong();
                if (end - begin != count * type.bytes || begin < 0 || end > dataSize) {
                    throw new IllegalArgumentException(path + ": tensor " + field.getKey() + " has inconsistent offsets");
                }
                entries.put(field.getKey(), new Entry(type, shape, begin, end));
            }
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(entries));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot read " + path, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    @Override
    public String storedType(String name) {
        return entry(name).type.name();
    }

    @Override
    public Tensor load(String name) {
        Entry entry = entry(name);
        long length = entry.end - entry.begin;
        if (length / entry.type.bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(path + ": tensor " + name + " is too large for one Java array");
        }
        float[] values = new float[(int) (length / entry.type.bytes)];
        try {
            ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + entry.begin, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            entry.type.decode(mapped, values);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor " + name + " from " + path, e);
        }
        return new Tensor(entry.shape.clone(), values);
    }

    private Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new IllegalArgumentException(path + " has no tensor " + name);
        }
        return entry;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
