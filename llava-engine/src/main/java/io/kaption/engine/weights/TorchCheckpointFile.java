package io.kaption.engine.weights;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * One PyTorch checkpoint in the zip format {@code torch.save} has written since 1.6 ({@code pytorch_model.bin}
 * and its shards): {@code <archive>/data.pkl} (the pickled state dict, read by {@link StateDictPickle}, which
 * refuses anything but plain tensors), {@code <archive>/data/<key>} (one uncompressed record per storage),
 * {@code <archive>/byteorder}. Everything is checked when the file is opened; tensors are then memory-mapped one at
 * a time when loaded, as in {@link SafetensorsFile}, so a large shard never passes through the heap at once.
 */
public final class TorchCheckpointFile implements TensorFile {

    private record Entry(TorchDtype dtype, long[] shape, long position, long bytes) {}

    /** data.pkl of a 70B model's shard is well under 1 MB; anything near this is not a state dict. */
    private static final int MAX_PICKLE_BYTES = 256 << 20;
    private static final int LOCAL_HEADER_SIGNATURE = 0x04034b50;

    private final Path path;
    private final FileChannel channel;
    private final ByteOrder byteOrder;
    private final Map<String, Entry> entries;

    private TorchCheckpointFile(Path path, FileChannel channel, ByteOrder byteOrder, Map<String, Entry> entries) {
        this.path = path;
        this.channel = channel;
        this.byteOrder = byteOrder;
        this.entries = entries;
    }

    public static TorchCheckpointFile open(Path path) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            requireZip(path, channel);
            try (ZipFile zip = openZip(path)) {
                Archive archive = Archive.of(path, zip);
                ByteOrder order = byteOrder(path, zip, archive);
                Map<String, StateDictPickle.Tensor> tensors = StateDictPickle.read(readPickle(path, zip, archive),
                        path.toString());
                Map<String, Entry> entries = new LinkedHashMap<>();
                for (Map.Entry<String, StateDictPickle.Tensor> tensor : tensors.entrySet()) {
                    entries.put(tensor.getKey(), locate(path, channel, archive, tensor.getKey(), tensor.getValue()));
                }
                return new TorchCheckpointFile(path, channel, order, Collections.unmodifiableMap(entries));
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot read " + path, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The zip's records under its one top folder, named as torch names them. */
    private record Archive(String prefix, Map<String, ZipArchiveEntry> records) {

        static Archive of(Path path, ZipFile zip) {
            Map<String, ZipArchiveEntry> records = new HashMap<>();
            String prefix = null;
            for (Enumeration<ZipArchiveEntry> it = zip.getEntries(); it.hasMoreElements(); ) {
                ZipArchiveEntry entry = it.nextElement();
                records.put(entry.getName(), entry);
                String name = entry.getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    if (prefix != null) {
                        throw new TorchCheckpointException(path + ": the archive holds two data.pkl records");
                    }
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                }
            }
            if (prefix == null) {
                throw new TorchCheckpointException(path + " is a zip archive but not a PyTorch checkpoint "
                        + "(no <archive>/data.pkl record)");
            }
            return new Archive(prefix, records);
        }

        ZipArchiveEntry record(String name) {
            return records.get(prefix + name);
        }
    }

    /** The zip magic, else a clear word about what the file is instead. */
    private static void requireZip(Path path, FileChannel channel) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
            // read up to 4 bytes
        }
        if (head.position() == 4 && head.getInt(0) == LOCAL_HEADER_SIGNATURE) {
            return;
        }
        if (head.position() >= 2 && (head.get(0) & 0xff) == 0x80 && head.get(1) <= 5) {
            // A pickle at the start: torch.save's format before 1.6 (or with _use_new_zipfile_serialization=False)
            throw new TorchCheckpointException(path + " is a PyTorch checkpoint in the legacy (pre-1.6, non-zip) "
                    + "format, which Kaption does not read: re-save it with torch >= 1.6, e.g. "
                    + "torch.save(torch.load(f, weights_only=True), f)");
        }
        throw new TorchCheckpointException(path + " is not a PyTorch checkpoint (not a zip archive)");
    }

    private static ZipFile openZip(Path path) {
        try {
            return ZipFile.builder().setPath(path).get();
        } catch (IOException | RuntimeException e) {
            // Commons Compress reports a damaged directory with several exception types; all mean the same here.
            throw new TorchCheckpointException(path + " is not a complete zip archive (truncated or corrupt: "
                    + e.getMessage() + ")", e);
        }
    }

    private static ByteOrder byteOrder(Path path, ZipFile zip, Archive archive) throws IOException {
        ZipArchiveEntry record = archive.record("byteorder");
        if (record == null) {
            return ByteOrder.LITTLE_ENDIAN; // torch before 1.10 wrote none, and only little-endian
        }
        String order = new String(readRecord(path, zip, record, 16), StandardCharsets.US_ASCII);
        return switch (order) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new TorchCheckpointException(path + ": unknown byteorder record");
        };
    }

    private static byte[] readPickle(Path path, ZipFile zip, Archive archive) throws IOException {
        return readRecord(path, zip, archive.record("data.pkl"), MAX_PICKLE_BYTES);
    }

    private static byte[] readRecord(Path path, ZipFile zip, ZipArchiveEntry record, int limit) throws IOException {
        if (record.getSize() > limit) {
            throw new TorchCheckpointException(path + ": record " + record.getName() + " is too large ("
                    + record.getSize() + " bytes)");
        }
        try (InputStream in = zip.getInputStream(record)) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit || (record.getSize() >= 0 && bytes.length != record.getSize())) {
                throw new TorchCheckpointException(path + ": record " + record.getName() + " is truncated or corrupt");
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TorchCheckpointException t) {
                throw t;
            }
            throw new TorchCheckpointException(path + ": record " + record.getName() + " cannot be read ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Checks one tensor against its storage record and returns where its bytes lie in the file. */
    private static Entry locate(Path path, FileChannel channel, Archive archive, String name,
            StateDictPickle.Tensor tensor) throws IOException {
        StateDictPickle.Storage storage = tensor.storage();
        String where = path + ": tensor " + name;
        long[] shape = tensor.shape();
        long numel = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            if (shape[axis] < 0) {
                throw new TorchCheckpointException(where + " has a negative size");
            }
            // Only plain C-order tensors: each stride is the product of the sizes after it (any for size 1).
            if (shape[axis] != 1 && tensor.stride()[axis] != numel) {
                throw new TorchCheckpointException(where + " is not contiguous (strides "
                        + Arrays.toString(tensor.stride()) + " for size "
                        + Arrays.toString(shape) + "); re-save it with .contiguous()");
            }
            numel = multiply(numel, shape[axis], where);
        }
        long elementSize = tensor.dtype().bytes;
        long storageBytes;
        long begin;
        long bytes;
        try {
            storageBytes = storage.bytes();
            begin = Math.multiplyExact(tensor.offset(), elementSize);
            bytes = Math.multiplyExact(numel, elementSize);
            if (tensor.offset() < 0 || Math.addExact(begin, bytes) > storageBytes) {
                throw new TorchCheckpointException(where + " (" + numel + " elements from offset " + tensor.offset()
                        + ") does not fit its storage " + storage.key() + " of " + storageBytes + " bytes");
            }
        } catch (ArithmeticException e) {
            throw new TorchCheckpointException(where + " has sizes beyond 2^63 bytes");
        }
        ZipArchiveEntry record = archive.record("data/" + storage.key());
        if (record == null) {
            throw new TorchCheckpointException(where + ": its storage record data/" + storage.key() + " is missing");
        }
        if (record.getMethod() != ZipArchiveEntry.STORED || record.getSize() != record.getCompressedSize()) {
            throw new TorchCheckpointException(where + ": storage record data/" + storage.key()
                    + " is compressed (torch.save stores them uncompressed)");
        }
        if (record.getSize() < storageBytes) {
            throw new TorchCheckpointException(where + ": storage record data/" + storage.key() + " holds "
                    + record.getSize() + " bytes, shorter than its " + storageBytes + "-byte storage");
        }
        long dataStart = dataStart(path, channel, record);
        if (dataStart + record.getSize() > channel.size()) {
            throw new TorchCheckpointException(where + ": storage record data/" + storage.key()
                    + " runs past the end of the file (truncated)");
        }
        return new Entry(tensor.dtype(), shape, dataStart + begin, bytes);
    }

    /** Where a stored record's bytes start: after its local header (30 bytes, the name, the extra field). */
    private static long dataStart(Path path, FileChannel channel, ZipArchiveEntry record) throws IOException {
        long header = record.getLocalHeaderOffset();
        ByteBuffer fixed = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        while (fixed.hasRemaining()) {
            if (header < 0 || channel.read(fixed, header + fixed.position()) < 0) {
                throw new TorchCheckpointException(path + ": record " + record.getName() + " is truncated");
            }
        }
        if (fixed.getInt(0) != LOCAL_HEADER_SIGNATURE) {
            throw new TorchCheckpointException(path + ": record " + record.getName() + " has a corrupt header");
        }
        return header + 30 + (fixed.getShort(26) & 0xffff) + (fixed.getShort(28) & 0xffff);
    }

    private static long multiply(long a, long b, String where) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new TorchCheckpointException(where + " has more than 2^63 elements");
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    @Override
    public String storedType(String name) {
        TorchDtype dtype = entry(name).dtype;
        return dtype.decoded != null ? dtype.decoded.name() : dtype.torchName();
    }

    @Override
    public Tensor load(String name) {
        Entry entry = entry(name);
        if (entry.dtype.decoded == null) {
            throw new TorchCheckpointException(path + ": tensor " + name + " is " + entry.dtype.torchName()
                    + "; only float32, float16 and bfloat16 weights can be loaded");
        }
        if (entry.bytes / entry.dtype.bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(path + ": tensor " + name + " is too large for one Java array");
        }
        float[] values = new float[(int) (entry.bytes / entry.dtype.bytes)];
        if (values.length > 0) {
            try {
                ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, entry.position, entry.bytes)
                        .order(byteOrder);
                entry.dtype.decoded.decode(mapped, values);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read tensor " + name + " from " + path, e);
            }
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
