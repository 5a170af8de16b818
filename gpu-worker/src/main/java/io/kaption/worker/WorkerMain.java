package io.kaption.worker;

import io.kaption.kit.kafka.KafkaConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a GPU worker from the environment (see gpu-worker/README.md) and stops it on SIGTERM / Ctrl-C. */
public final class WorkerMain {

    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "kaption-worker-logback.xml");
        }
        Logger log = LoggerFactory.getLogger(WorkerMain.class);
        GpuWorker worker;
        try {
            worker = GpuWorker.start(WorkerConfig.fromEnvironment());
        } catch (IllegalArgumentException e) {
            log.error("gpu-worker cannot start: {}", e.getMessage());
            System.exit(2);
            return;
        } catch (KafkaConnection.KafkaAccessException e) {
            log.error("gpu-worker cannot start: {}", e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(worker::close, "kaption-worker-shutdown"));
        worker.terminated().join();
        if (worker.failure().isPresent()) {
            System.exit(1);
        }
    }
}
