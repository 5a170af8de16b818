package io.kaption.sink;

/** Runs the result sink configured from the environment until the process is stopped (SIGTERM, Ctrl-C). */
public final class SinkMain {

    private SinkMain() {}

    public static void main(String[] args) {
        ResultSink sink = ResultSink.start(ResultSinkConfig.fromEnvironment());
        Runtime.getRuntime().addShutdownHook(new Thread(sink::close, "kaption-sink-shutdown"));
        // Vert.x's event-loop threads keep the process alive.
    }
}
