package io.kaption.engine.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files (F32, F16, BF16; one file, or shards with an index as transformers names them), with
 * its own float rounding. Output is deterministic: tensors in name order, the header JSON in that order too.
 * Used for the demo checkpoint and by tests that make checkpoints.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> dtypes) throws IOException {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        List<byte[]> blobs = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            String dtype = dtypes.getOrDefault(e.getKey(), "F32");
            byte[] blob = encode(e.getValue().data(), dtype);
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", dtype);
            var shape = entry.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + blob.length);
            offset += blob.length;
            blobs.add(blob);
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (byte[] blob : blobs) {
                out.write(blob);
            }
        }
    }

    /** Writes {@code shards} files named like transformers does, plus {@code model.safetensors.index.json}. */
    public static void writeSharded(Path directory, Map<String, Tensor> tensors, Map<String, String> dtypes,
            int shards) throws IOException {
        List<String> names = new ArrayList<>(new TreeMap<>(tensors).keySet());
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata");
        ObjectNode weightMap = index.putObject("weight_map");
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            Map<String, Tensor> part = new LinkedHashMap<>();
            for (int i = s; i < names.size(); i += shards) {
                part.put(names.get(i), tensors.get(names.get(i)));
                weightMap.put(names.get(i), file);
            }
            write(directory.resolve(file), part, dtypes);
        }
        JSON.writeValue(directory.resolve("model.safetensors.index.json").toFile(), index);
    }

    static byte[] encode(float[] values, String dtype) {
        int width = dtype.equals("F32") ? 4 : 2;
        ByteBuffer buffer = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case "F32" -> buffer.putFloat(v);
                case "F16" -> buffer.putShort(toHalf(v));
                case "BF16" -> buffer.putShort(toBfloat16(v));
                default -> throw new IllegalArgumentException(dtype);
            }
        }
        return buffer.array();
    }

    /** float32 to bfloat16, round to nearest even (finite values). */
    public static short toBfloat16(float v) {
        int bits = Float.floatToIntBits(v);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** float32 to IEEE binary16, round to nearest even, for values within half range. */
    public static short toHalf(float v) {
        float magnitude = Math.abs(v);
        int sign = v < 0 || (v == 0 && 1 / v < 0) ? 0x8000 : 0;
        if (magnitude < 0x1p-24f / 2) {
            return (short) sign;
        }
        int exponent = Math.max(Math.getExponent(magnitude), -14);
        double quantum = Math.scalb(1.0, exponent - 10);
        double units = Math.rint(magnitude / quantum); // exact division by a power of two, rint = ties to even
        long mantissaUnits = (long) units;
        if (mantissaUnits >= 2048) { // rounding carried into the next binade
            exponent++;
            mantissaUnits /= 2;
        }
        if (exponent > 15) {
            throw new IllegalArgumentException(v + " is outside the float16 range");
        }
        int biased = mantissaUnits >= 1024 ? exponent + 15 : 0;
        return (short) (sign | (biased << 10) | (int) (mantissaUnits & 0x3ff));
    }
}
