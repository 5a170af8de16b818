package io.kaption.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Minimal test-only reader of the fixtures' float32 safetensors files (u64 LE header length, JSON header, raw LE
 * data). The production reader lives in {@code io.kaption.engine.weights}; the integrator may swap this one for it.
 */
public final class FixtureTensors {

    /** One tensor: its shape and C-order values. */
    public record Tensor(long[] shape, float[] values) {
    }

    private final Map<String, Tensor> tensors = new TreeMap<>();

    private FixtureTensors() {
    }

    public static FixtureTensors read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + (int) headerLength;
        FixtureTensors out = new FixtureTensors();
        header.properties().forEach(entry -> {
            if (entry.getKey().equals("__metadata__")) {
                return;
            }
            JsonNode info = entry.getValue();
            if (!info.get("dtype").asText().equals("F32")) {
                throw new IllegalStateException(entry.getKey() + ": only F32 fixtures are supported");
            }
            long[] shape = new long[info.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = info.get("shape").get(i).asLong();
            }
            int begin = dataStart + info.get("data_offsets").get(0).asInt();
            int end = dataStart + info.get("data_offsets").get(1).asInt();
            float[] values = new float[(end - begin) / 4];
            buffer.slice(begin, end - begin).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            out.tensors.put(entry.getKey(), new Tensor(shape, values));
        });
        return out;
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + " in fixture");
        }
        return t;
    }
}
