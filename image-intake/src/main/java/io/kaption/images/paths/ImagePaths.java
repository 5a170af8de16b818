package io.kaption.images.paths;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Server-side {@code image_paths}: admitted only inside one configured root directory. A requested path is resolved
 * against the root, normalised ({@code ..} cannot climb out) and then resolved for real (a symlink cannot point out);
 * both must stay under the root's real path. Without a root every path is refused.
 *
 * <p>The root must not be writable by untrusted parties: a directory swapped for a symlink between the check and the
 * read is not guarded against.
 */
public final class ImagePaths {

    /** The root as configured (absolute) and as it really is: requests may name either, reads check the real one. */
    private record Root(Path configured, Path real) {
    }

    private final Optional<Root> root;
    private final long maxBytes;

    /**
     * @param root     the configured root, or empty to refuse all paths
     * @param maxBytes the largest file read
     * @throws IllegalArgumentException when the root does not exist or is not a directory
     */
    public ImagePaths(Optional<Path> root, long maxBytes) {
        this.root = root.map(dir -> new Root(dir.toAbsolutePath().normalize(), realDirectory(dir)));
        this.maxBytes = maxBytes;
    }

    /**
     * The real path of {@code requested} (absolute, or relative to the root) once it is known to be a regular file
     * under the root.
     *
     * @throws ImageIntakeException {@code path_not_allowed} or {@code image_not_found}
     */
    public Path resolve(String requested) {
        Root rootDir = root.orElseThrow(() -> new ImageIntakeException(Code.PATH_NOT_ALLOWED,
                "image_paths are not accepted by this server (no image directory configured)"));
        Path candidate;
        try {
            candidate = rootDir.real().resolve(requested).normalize();
        } catch (InvalidPathException e) {
            throw notAllowed(requested);
        }
        // Checked before touching the file system, so paths outside never learn whether something exists there.
        if (!candidate.startsWith(rootDir.real()) && !candidate.startsWith(rootDir.configured())) {
            throw notAllowed(requested);
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            throw new ImageIntakeException(Code.IMAGE_NOT_FOUND, "image path '" + requested + "' does not exist");
        } catch (IOException e) {
            throw new ImageIntakeException(Code.IMAGE_NOT_FOUND, "image path '" + requested + "' cannot be read");
        }
        if (!real.startsWith(rootDir.real())) {
            throw notAllowed(requested);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageIntakeException(Code.IMAGE_NOT_FOUND, "image path '" + requested + "' is not a file");
        }
        return real;
    }

    /** The bytes of the admitted file, refused without reading when it is larger than the byte cap. */
    public byte[] read(String requested) {
        Path file = resolve(requested);
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > maxBytes) {
                throw new ImageIntakeException(Code.IMAGE_TOO_LARGE,
                        "image file '" + requested + "' is larger than " + maxBytes + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("reading admitted image file " + file, e);
        }
    }

    private static ImageIntakeException notAllowed(String requested) {
        return new ImageIntakeException(Code.PATH_NOT_ALLOWED,
                "image path '" + requested + "' is outside the directory images may be read from");
    }

    private static Path realDirectory(Path root) {
        try {
            Path real = root.toRealPath();
            if (!Files.isDirectory(real)) {
                throw new IllegalArgumentException("image paths root " + root + " is not a directory");
            }
            return real;
        } catch (IOException e) {
            throw new IllegalArgumentException("image paths root " + root + " does not exist", e);
        }
    }
}
