package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * Receives one request's events from a {@link RequestEventHub} subscription. Calls for one subscription never overlap
 * and come in order: tokens by ascending {@code kaption.tokens} offset, then the result once. They run on the hub's
 * poll thread (or, for the replay, on the thread that subscribed), so an implementation must return quickly: hand the
 * work to its own executor or event loop.
 */
public interface RequestEventListener {

    /** A token event; {@code offset} is its record's offset on {@code kaption.tokens}, increasing per request. */
    void onToken(long offset, TokenEvent event);

    /**
     * The request's result, exactly once and last: after every final token event of the request, or after the
     * hub's result grace period if they never arrive. No call follows it.
     */
    void onResult(GenerationResult result);
}
