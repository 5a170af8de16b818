package io.kaption.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock between processes: a child JVM holds it while this one gives up after its bound, or waits for it. */
class DataDirectoryLockTest {

    @TempDir
    Path dir;

    /** Takes the lock of {@code HOLD_DIR}, says so, and exits after {@code HOLD_MILLIS}: a run that is stopping. */
    public static final class Holder {
        public static void main(String[] args) throws InterruptedException {
            DataDirectoryLock.acquire(Path.of(System.getenv("HOLD_DIR")), Duration.ZERO, message -> { });
            System.out.println("locked");
            Thread.sleep(Long.parseLong(System.getenv("HOLD_MILLIS")));
        }
    }

    @Test
    void aStartGivesUpOnARunThatDoesNotStopAndWaitsForOneThatDoes() throws Exception {
        Path data = dir.resolve("data");
        ChildJvm running = hold(data, 120_000, dir.resolve("running.log"));
        try {
            List<String> told = new ArrayList<>();
            assertThatThrownBy(() -> DataDirectoryLock.acquire(data, Duration.ofMillis(300), told::add))
                    .hasMessageContaining("is in use by another Kaption process (pid " + running.pid() + ")");
            assertThat(told).containsExactly("waiting for the previous Kaption process on " + data + " (pid "
                    + running.pid() + ") to stop");
        } finally {
            running.kill(); // the OS releases a killed process's lock
        }

        ChildJvm stopping = hold(data, 2_000, dir.resolve("stopping.log"));
        try {
            List<String> told = new ArrayList<>();
            DataDirectoryLock.acquire(data, Duration.ofSeconds(60), told::add);
            assertThat(told).as("it waited for the holder to exit").hasSize(1);
            assertThat(Files.readString(data.resolve("kaption.lock")).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        } finally {
            stopping.close();
        }
    }

    private static ChildJvm hold(Path data, long millis, Path log) {
        ChildJvm holder = ChildJvm.start(Holder.class, Map.of("HOLD_DIR", data.toString(),
                "HOLD_MILLIS", Long.toString(millis)), log);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.exists(log) && Files.readString(log).contains("locked"));
        return holder;
    }
}
