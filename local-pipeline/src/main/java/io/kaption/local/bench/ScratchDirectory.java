package io.kaption.local.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A benchmark run's data (the broker's log, S3's objects, a scratch checkpoint: gigabytes after {@code bench ingest}):
 * deleted once the run has ended well, kept and named on stderr when it failed, for a look at the broker's output.
 */
final class ScratchDirectory implements AutoCloseable {

    private final Path path;
    private boolean keep = true;

    private ScratchDirectory(Path path) {
        this.path = path;
    }

    /** A new directory under the system's temporary directory, named {@code prefix…}. */
    static ScratchDirectory create(String prefix) throws IOException {
        return new ScratchDirectory(Files.createTempDirectory(prefix));
    }

    Path path() {
        return path;
    }

    /** The run ended well: {@link #close()} deletes the directory. */
    void succeeded() {
        keep = false;
    }

    @Override
    public void close() {
        if (keep) {
            System.err.println("kept " + path + " (the run did not finish)");
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
