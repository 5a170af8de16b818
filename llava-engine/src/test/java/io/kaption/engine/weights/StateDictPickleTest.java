package io.kaption.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.TorchBinFixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The whitelist interpreter: what torch writes is read; any other global or opcode is refused at once. */
class StateDictPickleTest {

    private static final String FILE = "/models/x/pytorch_model.bin";

    /** The data.pkl of a torch.save file, read with the JDK's zip reader. */
    static byte[] dataPkl(String fixture) {
        Path path = TorchBinFixture.path(fixture);
        try (ZipFile zip = new ZipFile(path.toFile())) {
            ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith("/data.pkl")).findFirst().orElseThrow();
            return zip.getInputStream(entry).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsTheStateDictTorchWrote() {
        Map<String, StateDictPickle.Tensor> tensors = StateDictPickle.read(
                dataPkl(TorchBinFixture.ORIGINAL + "/pytorch_model-00001-of-00002.bin"), FILE);
        assertThat(tensors).hasSize(19).containsKey("model.embed_tokens.weight");
        StateDictPickle.Tensor q = tensors.get("model.layers.0.self_attn.q_proj.weight");
        StateDictPickle.Tensor k = tensors.get("model.layers.0.self_attn.k_proj.weight");
        // q, k, v of a layer are views into one storage: same key, k after q's 16x16 elements
        assertThat(k.storage()).isEqualTo(q.storage());
        assertThat(q.offset()).isZero();
        assertThat(k.offset()).isEqualTo(16 * 16);
        assertThat(k.shape()).containsExactly(8, 16);
        assertThat(k.stride()).containsExactly(16, 1);
        assertThat(k.dtype()).isEqualTo(TorchDtype.FLOAT32);
    }

    @ParameterizedTest
    @CsvSource({
        "os, system",
        "posix, system",
        "builtins, eval",
        "builtins, getattr",
        "__builtin__, exec",
        "subprocess, Popen",
        "torch, load",
        "torch._utils, _rebuild_device_tensor_from_numpy",
        "numpy.core.multiarray, _reconstruct",
        "collections, defaultdict",
    })
    void anyOtherGlobalIsRefusedBeforeReadingFurther(String module, String name) {
        // What follows the global is garbage: only the global may be what the error is about.
        byte[] pickle = new Pickle().proto().global("collections", "OrderedDict").op(")R(").str("w")
                .global(module, name).raw(new byte[] {(byte) 0xff, 0, 1, 2}).bytes();
        assertThatThrownBy(() -> StateDictPickle.read(pickle, FILE))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(FILE)
                .hasMessageContaining("'" + module + "." + name + "'")
                .hasMessageContaining("nothing after it was read");
    }

    @Test
    void stackGlobalIsCheckedLikeGlobal() {
        byte[] pickle = new Pickle().proto().str("os").str("system").op("\u0093").bytes();
        assertThatThrownBy(() -> StateDictPickle.read(pickle, FILE))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("'os.system'");
    }

    @Test
    void opcodesAStateDictDoesNotNeedAreRefused() {
        // INST ('i'): protocol 0's way to build and call a class
        byte[] pickle = new Pickle().proto().op("(").raw("ios\nsystem\n".getBytes(StandardCharsets.US_ASCII))
                .bytes();
        assertThatThrownBy(() -> StateDictPickle.read(pickle, FILE))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("opcode 0x69");
    }

    @Test
    void allowedGlobalsCannotBeCalledOutsideTheirRole() {
        // torch.FloatStorage("...") would construct a storage in Python; here a storage class is only a tag
        byte[] pickle = new Pickle().proto().global("torch", "FloatStorage").str("x").op("\u0085R.").bytes();
        assertThatThrownBy(() -> StateDictPickle.read(pickle, FILE))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("cannot be called");
    }

    @Test
    void somethingOtherThanADictOfTensorsIsRefused() {
        byte[] list = new Pickle().proto().op("]").bytes();
        assertThatThrownBy(() -> StateDictPickle.read(append(list, "."), FILE))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("not a state dict");
        byte[] dictOfInts = new Pickle().proto().op("}").str("epoch").op("K\u0003s.").bytes();
        assertThatThrownBy(() -> StateDictPickle.read(dictOfInts, FILE))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("epoch is a long, not a tensor");
    }

    @Test
    void aTruncatedPickleIsRefused() {
        byte[] whole = dataPkl("small/tiny.bin");
        for (int length = 0; length < whole.length; length++) {
            byte[] cut = java.util.Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> StateDictPickle.read(cut, FILE)).as("length %d", length)
                    .isInstanceOf(TorchCheckpointException.class).hasMessageContaining(FILE);
        }
    }

    private static byte[] append(byte[] a, String op) {
        return new Pickle().raw(a).op(op).bytes();
    }

    /** Hand-assembled pickles (protocol 2 opcodes). */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle proto() {
            out.write(0x80);
            out.write(2);
            return this;
        }

        Pickle global(String module, String name) {
            return raw(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        Pickle str(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            for (int i = 0; i < 4; i++) {
                out.write(utf8.length >>> (8 * i));
            }
            return raw(utf8);
        }

        /** Opcodes given as chars (each char one byte). */
        Pickle op(String ops) {
            return raw(ops.getBytes(StandardCharsets.ISO_8859_1));
        }

        Pickle raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
