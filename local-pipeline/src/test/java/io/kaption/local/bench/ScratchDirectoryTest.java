package io.kaption.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ScratchDirectoryTest {

    @Test
    void aRunThatEndedWellLeavesNothingBehind() throws Exception {
        Path path;
        try (ScratchDirectory scratch = ScratchDirectory.create("kaption-scratch-test")) {
            path = scratch.path();
            Files.createDirectories(path.resolve("kafka/kaption.requests.primary-0"));
            Files.write(path.resolve("kafka/kaption.requests.primary-0/00000000000000000000.log"), new byte[4096]);
            scratch.succeeded();
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void aFailedRunKeepsItsDataForALook() throws Exception {
        Path path;
        try (ScratchDirectory scratch = ScratchDirectory.create("kaption-scratch-test")) {
            path = scratch.path();
            Files.writeString(path.resolve("broker.out"), "ERROR the broker could not start");
        }
        try {
            assertThat(path.resolve("broker.out")).hasContent("ERROR the broker could not start");
        } finally {
            Files.delete(path.resolve("broker.out"));
            Files.delete(path);
        }
    }
}
