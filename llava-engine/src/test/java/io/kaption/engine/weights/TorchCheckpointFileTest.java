package io.kaption.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.TorchBinFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One torch.save file: values as torch wrote them, and clear refusals of everything else. */
class TorchCheckpointFileTest {

    @TempDir
    Path temp;

    /** small/tiny.bin, values as torch 2.13 printed them (see tools/fixtures/make_torch_bin_fixtures.py). */
    @Test
    void readsEveryStoredTypeOffsetAndShapeAsTorchWroteThem() {
        try (TorchCheckpointFile file = TorchCheckpointFile.open(TorchBinFixture.path("small/tiny.bin"))) {
            assertThat(file.names()).containsExactly("f32", "f16_view", "f16_all", "bf16", "i64", "scalar");
            assertThat(file.load("f32").shape()).containsExactly(2, 3);
            assertThat(file.load("f32").data()).containsExactly(0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f);

            assertThat(file.storedType("f16_all")).isEqualTo("F16");
            float[] halves = file.load("f16_all").data();
            assertThat(halves).hasSize(10).startsWith(-2f, -1.5556640625f, -1.111328125f).endsWith(2f);
            // A view at storage offset 4 of the same storage.
            assertThat(file.load("f16_view").shape()).containsExactly(2, 3);
            assertThat(file.load("f16_view").data()).containsExactly(Arrays.copyOfRange(halves, 4, 10));

            assertThat(file.storedType("bf16")).isEqualTo("BF16");
            assertThat(file.load("bf16").data()).containsExactly(1.5f, -0.25f, 3.00405527047391e38f,
                    1.0101904577379033e-39f);

            assertThat(file.load("scalar").shape()).isEmpty();
            assertThat(file.load("scalar").data()).containsExactly(7f);

            // Listed (CLIP files carry an int64 position_ids buffer) but not loadable as weights.
            assertThat(file.storedType("i64")).isEqualTo("torch.int64");
            assertThat(file.shape("i64")).containsExactly(1, 5);
            assertThatThrownBy(() -> file.load("i64")).isInstanceOf(TorchCheckpointException.class)
                    .hasMessageContaining("i64").hasMessageContaining("torch.int64");
        }
    }

    @Test
    void bigEndianStoragesReadAsTheSameValues() {
        try (TorchCheckpointFile big = TorchCheckpointFile.open(TorchBinFixture.path("small/big-endian.bin"));
                TorchCheckpointFile little = TorchCheckpointFile.open(TorchBinFixture.path("small/tiny.bin"))) {
            assertThat(big.load("f32").data()).containsExactly(little.load("f32").data());
            assertThat(big.load("f16").data()).containsExactly(little.load("f16_all").data());
            assertThat(big.load("bf16").data()).containsExactly(little.load("bf16").data());
        }
    }

    @Test
    void aPickleCallingOsSystemIsRefusedNamingTheFileAndTheGlobal() {
        Path evil = TorchBinFixture.path("small/os-system.bin");
        assertThatThrownBy(() -> TorchCheckpointFile.open(evil))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(evil.toString())
                .hasMessageContaining("'os.system'")
                .hasMessageContaining("malicious");
    }

    @Test
    void theLegacyFormatIsRefusedWithAReSaveHint() {
        Path legacy = TorchBinFixture.path("small/legacy-format.bin");
        assertThatThrownBy(() -> TorchCheckpointFile.open(legacy))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(legacy.toString())
                .hasMessageContaining("legacy (pre-1.6, non-zip)")
                .hasMessageContaining("torch >= 1.6");
    }

    @Test
    void aStorageShorterThanItsTensorIsRefused() {
        Path shortStorage = TorchBinFixture.path("small/short-storage.bin");
        assertThatThrownBy(() -> TorchCheckpointFile.open(shortStorage))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(shortStorage.toString())
                .hasMessageContaining("tensor w")
                .hasMessageContaining("holds 16 bytes, shorter than its 24-byte storage");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 100, 50_000, -1, -22, -100})
    void aTruncatedFileIsRefused(int keep) throws Exception {
        byte[] bytes = Files.readAllBytes(TorchBinFixture.path(TorchBinFixture.ORIGINAL_CLIP + "/pytorch_model.bin"));
        Path cut = temp.resolve("pytorch_model.bin");
        Files.write(cut, Arrays.copyOf(bytes, keep >= 0 ? keep : bytes.length + keep));
        assertThatThrownBy(() -> TorchCheckpointFile.open(cut))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(cut.toString());
    }

    @Test
    void otherFilesAreNotTakenForCheckpoints() throws Exception {
        Path text = Files.writeString(temp.resolve("pytorch_model.bin"), "version https://git-lfs.github.com/spec/v1",
                StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> TorchCheckpointFile.open(text))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("not a PyTorch checkpoint");
    }

    @Test
    void anIndexThatPutsATensorInTheWrongShardIsRefused() throws Exception {
        Path model = TorchBinFixture.copy(TorchBinFixture.ORIGINAL, temp.resolve("model"));
        Path index = model.resolve("pytorch_model.bin.index.json");
        Files.writeString(index, Files.readString(index).replace(
                "\"lm_head.weight\": \"pytorch_model-00002-of-00002.bin\"",
                "\"lm_head.weight\": \"pytorch_model-00001-of-00002.bin\""));
        assertThatThrownBy(() -> TensorSource.open(model))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lm_head.weight");
    }

    @Test
    void aDirectoryWithoutWeightsSaysWhatItLooksFor() throws Exception {
        Files.writeString(temp.resolve("training_args.bin"), "not opened");
        assertThatThrownBy(() -> TensorSource.open(temp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pytorch_model.bin.index.json")
                .hasMessageContaining("model.safetensors.index.json");
    }
}
