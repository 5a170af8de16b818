package io.kaption.ingest.generation;

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

    /** The request's result; the listener ends the response. */
    void result(GenerationResult result);

    /** No event came for the configured result timeout; the listener ends the response with an error. */
    void timeout();
}
