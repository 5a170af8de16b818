package io.kaption.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** F16 / BF16 / F32 tensors, single-file and sharded, decode to the right float32 values. */
class SafetensorsDtypeTest {

    @TempDir
    Path temp;

    @BeforeAll
    static void offline() {
        System.setProperty("ai.djl.offline", "true");
    }

    @Test
    void shardedMixedDtypesLoadAsTheSourceRoundedToTheirDtype() throws Exception {
        Random random = new Random(7);
        Map<String, Tensor> source = new HashMap<>();
        Map<String, String> dtypes = new HashMap<>();
        String[] kinds = {"F32", "F16", "BF16"};
        for (int t = 0; t < 9; t++) {
            float[] values = new float[37 + t];
            for (int i = 0; i < values.length; i++) {
                // normal values, tiny ones (float16 subnormals), exact ties and signed zeros
                values[i] = switch (i % 4) {
                    case 0 -> (float) random.nextGaussian() * 3;
                    case 1 -> (float) random.nextGaussian() * 1e-6f;
                    case 2 -> 1 + (i % 7) * 0x1p-11f;
                    default -> i % 8 == 3 ? -0f : 65504f * (float) random.nextDouble();
                };
            }
            String name = "layer." + t + ".weight";
            source.put(name, new Tensor(new long[] {values.length}, values));
            dtypes.put(name, kinds[t % 3]);
        }
        SafetensorsWriter.writeSharded(temp, source, dtypes, 3);
        assertThat(temp.resolve("model-00003-of-00003.safetensors")).exists();

        try (TensorSource loaded = TensorSource.open(temp)) {
            assertThat(loaded.names()).containsExactlyInAnyOrderElementsOf(source.keySet());
            for (Map.Entry<String, Tensor> e : source.entrySet()) {
                float[] expected = rounded(e.getValue().data(), dtypes.get(e.getKey()));
                assertThat(loaded.load(e.getKey()).data()).as(e.getKey()).containsExactly(expected);
            }
        }
    }

    @Test
    void halfRoundingOfTheTestWriterIsRight() {
        assertThat(SafetensorsWriter.toHalf(1f)).isEqualTo((short) 0x3c00);
        assertThat(SafetensorsWriter.toHalf(-2f)).isEqualTo((short) 0xc000);
        assertThat(SafetensorsWriter.toHalf(65504f)).isEqualTo((short) 0x7bff);
        assertThat(SafetensorsWriter.toHalf(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(SafetensorsWriter.toHalf(1 + 0x1p-11f)).isEqualTo((short) 0x3c00); // tie → even
        assertThat(SafetensorsWriter.toHalf(1 + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02); // tie → even
        assertThat(SafetensorsWriter.toBfloat16(1 + 0x1p-8f)).isEqualTo((short) 0x3f80); // tie → even
    }

    @Test
    void bf16NeverReachesDjl() throws Exception {
        float[] values = {1.5f, -0.25f, 3.0e-3f, 1024f};
        SafetensorsWriter.write(temp.resolve("w.safetensors"), Map.of("w", new Tensor(new long[] {2, 2}, values)),
                Map.of("w", "BF16"));
        try (SafetensorsFile file = SafetensorsFile.open(temp.resolve("w.safetensors"));
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(file.storedType("w")).isEqualTo("BF16");
            NDArray array = DjlTensors.toNDArray(manager, file.load("w"), DataType.FLOAT32);
            assertThat(array.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(array.toFloatArray()).containsExactly(rounded(values, "BF16"));
            NDArray half = DjlTensors.toNDArray(manager, file.load("w"), DataType.FLOAT16);
            assertThat(half.getDataType()).isEqualTo(DataType.FLOAT16);
            assertThatThrownBy(() -> DjlTensors.toNDArray(manager, file.load("w"), DataType.BFLOAT16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bfloat16");
        }
    }

    @Test
    void wholeCheckpointInBf16AndF16ComputesLikeItsF32Rounding() throws Exception {
        try (LlavaFixture fixture = LlavaFixture.open("llava-next-tiny");
                SafetensorsFile original = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"))) {
            Map<String, Tensor> stored = new HashMap<>();
            Map<String, Tensor> roundedF32 = new HashMap<>();
            Map<String, String> dtypes = new HashMap<>();
            int n = 0;
            for (String name : original.names()) {
                String dtype = n++ % 2 == 0 ? "BF16" : "F16";
                Tensor tensor = original.load(name);
                stored.put(name, tensor);
                dtypes.put(name, dtype);
                roundedF32.put(name, new Tensor(tensor.shape(), rounded(tensor.data(), dtype)));
            }
            Path lowPrecision = checkpointDir(fixture, "low", stored, dtypes, 2);
            Path f32 = checkpointDir(fixture, "f32", roundedF32, Map.of(), 1);

            JsonNode c = fixture.caseById("wide3x1");
            int[] ids = LlavaFixture.ints(c.path("input_ids"));
            var pixels = fixture.pixelsOfCase(c, "hf");
            float[] fromLow;
            float[] fromF32;
            try (LlavaEngine engine = LlavaEngine.load(lowPrecision, LlavaEngine.Options.DEFAULTS)) {
                fromLow = engine.promptLogits(ids, pixels);
            }
            try (LlavaEngine engine = LlavaEngine.load(f32, LlavaEngine.Options.DEFAULTS)) {
                fromF32 = engine.promptLogits(ids, pixels);
            }
            assertThat(fromLow).containsExactly(fromF32);
            float[] reference = fixture.tensor(c.path("preprocess").path("hf").path("logits_last").asText()).data();
            assertThat(fromLow).isNotEqualTo(reference); // the rounding is real...
            float worst = 0;
            for (int i = 0; i < reference.length; i++) {
                worst = Math.max(worst, Math.abs(fromLow[i] - reference[i]));
            }
            assertThat(worst).isLessThan(0.05f); // ...and small
        }
    }

    private Path checkpointDir(LlavaFixture fixture, String name, Map<String, Tensor> tensors,
            Map<String, String> dtypes, int shards) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(name));
        for (String file : new String[] {"config.json", "generation_config.json"}) {
            Files.copy(fixture.modelDir().resolve(file), dir.resolve(file));
        }
        if (shards == 1) {
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, dtypes);
        } else {
            SafetensorsWriter.writeSharded(dir, tensors, dtypes, shards);
        }
        return dir;
    }

    private static float[] rounded(float[] values, String dtype) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = switch (dtype) {
                case "F16" -> halfValue(SafetensorsWriter.toHalf(values[i]));
                case "BF16" -> bfloat16Value(SafetensorsWriter.toBfloat16(values[i]));
                default -> values[i];
            };
        }
        return out;
    }

    /** Value of a binary16 by its definition, independent of the engine's bit manipulation. */
    private static float halfValue(short h) {
        int bits = h & 0xffff;
        int exponent = (bits >> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude = exponent == 0 ? mantissa * Math.pow(2, -24) : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        return (float) ((bits & 0x8000) != 0 ? -magnitude : magnitude);
    }

    private static float bfloat16Value(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
