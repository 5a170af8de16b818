package io.kaption.sink;

import io.kaption.kit.kafka.KafkaConnection;

/** Runs the result sink configured from the environment until the process is stopped (SIGTERM, Ctrl-C). */
public final class SinkMain {

    private SinkMain() {}

    public static void main(String[] args) {
        ResultSink sink;
        try {
            sink = ResultSink.start(ResultSinkConfig.fromEnvironment());
        } catch (IllegalArgumentException | KafkaConnection.KafkaAccessException e) {
            System.err.println("kaption sink: " + e.getMessage());
            System.exit(e instanceof IllegalArgumentException ? 2 : 1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sink::close, "kaption-sink-shutdown"));
        // Vert.x's event-loop threads keep the process alive.
    }
}
