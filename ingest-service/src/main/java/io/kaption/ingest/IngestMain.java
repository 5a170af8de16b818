package io.kaption.ingest;

import io.kaption.kit.kafka.KafkaConnection;
import java.util.concurrent.CountDownLatch;

/** Runs the ingest service configured from the environment until SIGTERM or Ctrl-C. */
public final class IngestMain {

    private IngestMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        IngestConfig config;
        try {
            config = IngestConfig.fromEnvironment();
        } catch (IllegalArgumentException e) {
            System.err.println("kaption ingest: " + e.getMessage());
            System.exit(2);
            return;
        }
        IngestService service;
        try {
            service = IngestService.start(config);
        } catch (KafkaConnection.KafkaAccessException e) {
            System.err.println("kaption ingest: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "kaption-ingest-shutdown"));
        stopped.await();
    }
}
