package io.kaption.images.paths;

import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ImagePathsTest {

    private static final byte[] PNG = TestImages.png(4, 4);

    @TempDir
    Path temp;
    private Path root;
    private Path outside;
    private ImagePaths paths;

    @BeforeEach
    void layOutFiles() throws IOException {
        root = Files.createDirectories(temp.resolve("images"));
        outside = Files.createDirectories(temp.resolve("secrets"));
        Files.write(root.resolve("cat.png"), PNG);
        Files.createDirectories(root.resolve("albums/2026"));
        Files.write(root.resolve("albums/2026/dog.png"), PNG);
        Files.write(outside.resolve("key.png"), PNG);
        Files.write(temp.resolve("images-evil.png"), PNG);
        paths = new ImagePaths(Optional.of(root), 1024);
    }

    @Test
    void readsFilesUnderTheRoot() {
        assertThat(paths.read("cat.png")).isEqualTo(PNG);
        assertThat(paths.read("albums/2026/dog.png")).isEqualTo(PNG);
        assertThat(paths.read(root.resolve("cat.png").toString())).isEqualTo(PNG);
        assertThat(paths.read("albums/../cat.png")).as("'..' that stays inside is harmless").isEqualTo(PNG);
    }

    @Test
    void refusesEverythingWhenNoRootIsConfigured() {
        ImagePaths none = new ImagePaths(Optional.empty(), 1024);

        ImageIntakeException refusal = refuse(none, root.resolve("cat.png").toString());
        assertThat(refusal.code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        assertThat(refusal.httpStatus()).isEqualTo(400);
    }

    @Test
    void refusesAbsolutePathsOutsideTheRoot() {
        assertThat(refuse(paths, outside.resolve("key.png").toString()).code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        assertThat(refuse(paths, "/etc/passwd").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void refusesDotDotEscapes() {
        assertThat(refuse(paths, "../secrets/key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        assertThat(refuse(paths, "albums/../../secrets/key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        assertThat(refuse(paths, root + "/../secrets/key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void refusesSiblingDirectoryThatSharesTheRootsNamePrefix() {
        assertThat(refuse(paths, temp.resolve("images-evil.png").toString()).code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void refusesSymlinksPointingOutOfTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("linked-key.png"), outside.resolve("key.png"));
        Files.createSymbolicLink(root.resolve("linked-dir"), outside);

        assertThat(refuse(paths, "linked-key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
        assertThat(refuse(paths, "linked-dir/key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void followsSymlinksThatStayInsideTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("alias.png"), root.resolve("cat.png"));

        assertThat(paths.resolve("alias.png")).isEqualTo(root.toRealPath().resolve("cat.png"));
    }

    @Test
    void worksWhenTheRootItselfIsReachedThroughASymlink() throws IOException {
        Path linkToRoot = Files.createSymbolicLink(temp.resolve("current"), root);
        ImagePaths viaLink = new ImagePaths(Optional.of(linkToRoot), 1024);

        assertThat(viaLink.read("cat.png")).isEqualTo(PNG);
        assertThat(viaLink.read(linkToRoot.resolve("cat.png").toString())).isEqualTo(PNG);
        assertThat(refuse(viaLink, "../secrets/key.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void reportsMissingFilesAndDirectories() {
        assertThat(refuse(paths, "missing.png").code()).isEqualTo(Code.IMAGE_NOT_FOUND);
        assertThat(refuse(paths, "albums").code()).isEqualTo(Code.IMAGE_NOT_FOUND);
    }

    @Test
    void refusesMissingFilesOutsideTheRootWithoutSayingTheyAreMissing() {
        assertThat(refuse(paths, "../secrets/missing.png").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void refusesNulBytes() {
        assertThat(refuse(paths, "cat.png\0.jpg").code()).isEqualTo(Code.PATH_NOT_ALLOWED);
    }

    @Test
    void refusesFilesOverTheByteCap() throws IOException {
        Files.write(root.resolve("big.png"), new byte[2048]);

        assertThat(refuse(paths, "big.png").code()).isEqualTo(Code.IMAGE_TOO_LARGE);
    }

    @Test
    void rootMustBeAnExistingDirectory() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ImagePaths(Optional.of(temp.resolve("nope")), 1024));
        assertThatIllegalArgumentException().isThrownBy(() -> new ImagePaths(Optional.of(root.resolve("cat.png")), 1024));
    }

    private static ImageIntakeException refuse(ImagePaths paths, String requested) {
        ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class, () -> paths.read(requested));
        assertThat(refusal).as("reading %s must be refused", requested).isNotNull();
        return refusal;
    }
}
