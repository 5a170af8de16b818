package io.kaption.ingest.generation;

import io.kaption.events.StreamRestart;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * Renders one streaming request onto its HTTP response. Called on the request's event loop, in order: {@code start}
 * once the request is published, then tokens, then either {@code result} or {@code timeout}; never after the client
 * went away.
 */
public interface StreamListener {

    /** The request is on Kafka: send the head of the stream (and whatever an API sends first). */
    void start();

    void token(TokenEvent event);

    /**
     * A worker died and its replacement generated text for {@code restart.batchId()} that differs from what this
     * response already carries (replays are normally identical and never get here). Returns whether the listener goes
     * on; a stream whose API cannot take text back ends the response (with {@link Generations#STREAM_RESTARTED}) and
     * returns false.
     */
    boolean restarted(StreamRestart restart);

    /** The request's result; the listener ends the response. */
    void result(GenerationResult result);

    /** No event came for the configured result timeout; the listener ends the response with an error. */
    void timeout();
}
