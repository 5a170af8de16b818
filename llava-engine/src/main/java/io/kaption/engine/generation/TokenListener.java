package io.kaption.engine.generation;

/** Receives every generated id as soon as it is chosen, and each request's end. Called on the decoding thread. */
public interface TokenListener {

    TokenListener NONE = (request, token) -> {};

    /** @param request index of the request in the submitted list */
    void onToken(int request, int token);

    default void onFinish(int request, GenerationResult result) {}
}
