package io.kaption.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.kaption.engine.TorchBinFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupted real checkpoints (byte flips, overwritten runs, truncations, insertions of random bytes or of known
 * opcodes, deletions; fixed seeds, so a failure reproduces) are either read or refused with
 * {@link TorchCheckpointException}: no other exception, no error, no hang (the time limit aborts a run that does not
 * end).
 */
class StateDictPickleFuzzTest {

    private static final long SEED = 17;
    /** Every opcode StateDictPickle interprets. */
    private static final String KNOWN_OPCODES = "\u0080\u0095.(01N\u0088\u0089KMJ\u008aGX\u008c\u008dTU})]"
            + "\u0085\u0086\u0087tldaesuqr\u0094hjc\u0093QRb";

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void corruptedPicklesFailOnlyWithTheClearError() {
        List<byte[]> seeds = List.of(
                StateDictPickleTest.dataPkl("small/tiny.bin"),
                StateDictPickleTest.dataPkl(TorchBinFixture.ORIGINAL_CLIP + "/pytorch_model.bin"),
                StateDictPickleTest.dataPkl(TorchBinFixture.ORIGINAL + "/pytorch_model-00002-of-00002.bin"));
        SplittableRandom random = new SplittableRandom(SEED);
        int refused = 0;
        int iterations = 20_000;
        for (int i = 0; i < iterations; i++) {
            byte[] mutated = mutate(seeds.get(i % seeds.size()), random);
            try {
                StateDictPickle.read(mutated, "fuzz");
            } catch (TorchCheckpointException expected) {
                refused++;
            } catch (Throwable other) {
                fail("iteration " + i + " (seed " + SEED + ") threw " + other, other);
            }
        }
        // Most mutations must be caught; a few (e.g. a flipped byte inside a name) still read.
        assertThat(refused).isGreaterThan(iterations / 2);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void corruptedCheckpointFilesFailOnlyWithTheClearError() throws Exception {
        byte[] original = Files.readAllBytes(TorchBinFixture.path("small/tiny.bin"));
        SplittableRandom random = new SplittableRandom(SEED + 1);
        Path file = temp.resolve("pytorch_model.bin");
        int refused = 0;
        int iterations = 1_000;
        for (int i = 0; i < iterations; i++) {
            Files.write(file, mutate(original, random));
            try (TorchCheckpointFile checkpoint = TorchCheckpointFile.open(file)) {
                for (String name : checkpoint.names()) {
                    if (!checkpoint.storedType(name).startsWith("torch.")) {
                        checkpoint.load(name);
                    }
                }
            } catch (TorchCheckpointException expected) {
                refused++;
            } catch (Throwable other) {
                fail("iteration " + i + " (seed " + (SEED + 1) + ") threw " + other, other);
            }
        }
        assertThat(refused).isGreaterThan(iterations / 10);
    }

    private static byte[] mutate(byte[] seed, SplittableRandom random) {
        byte[] bytes = seed.clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && bytes.length > 0; m++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(7)) {
                case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> bytes[at] = (byte) random.nextInt(256);
                case 2 -> { // a run of 0xff / 0x00 (huge or zero lengths)
                    byte fill = random.nextBoolean() ? (byte) 0xff : 0;
                    for (int j = at; j < Math.min(bytes.length, at + 1 + random.nextInt(8)); j++) {
                        bytes[j] = fill;
                    }
                }
                case 3 -> bytes = java.util.Arrays.copyOf(bytes, at); // truncation
                case 4 -> { // insertion of random bytes
                    byte[] inserted = new byte[1 + random.nextInt(8)];
                    random.nextBytes(inserted);
                    bytes = splice(bytes, at, at, inserted);
                }
                case 5 -> bytes = splice(bytes, at, Math.min(bytes.length, at + 1 + random.nextInt(8)), new byte[0]);
                default -> { // an opcode the interpreter knows, with a few random argument bytes
                    byte[] inserted = new byte[1 + random.nextInt(5)];
                    random.nextBytes(inserted);
                    inserted[0] = (byte) KNOWN_OPCODES.charAt(random.nextInt(KNOWN_OPCODES.length()));
                    bytes = splice(bytes, at, at, inserted);
                }
            }
        }
        return bytes;
    }

    private static byte[] splice(byte[] bytes, int from, int to, byte[] replacement) {
        byte[] out = new byte[bytes.length - (to - from) + replacement.length];
        System.arraycopy(bytes, 0, out, 0, from);
        System.arraycopy(replacement, 0, out, from, replacement.length);
        System.arraycopy(bytes, to, out, from + replacement.length, bytes.length - to);
        return out;
    }
}
