package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;

/**
 * Receives one request's events from a {@link RequestEventHub} subscription. Calls for one subscription never overlap
 * and come in order: tokens (and restarts) by ascending {@code kaption.tokens} offset, then the result once. They run
 * on the hub's poll thread (or, for the replay, on the thread that subscribed), so an implementation must return
 * quickly: hand the work to its own executor or event loop.
 *
 * <p>The token events are the request's stream as a client should see it: each chunk once and in order, also when a
 * worker crashed and another one generated the request again (the replay's chunks that were already delivered are
 * dropped after checking that they match). Concatenating a prompt's chunks (after its last restart) gives the
 * result's text for that prompt.
 */
public interface RequestEventListener {

    /** A token event; {@code offset} is its record's offset on {@code kaption.tokens}, increasing per request. */
    void onToken(long offset, TokenEvent event);

    /**
     * The prompt's stream starts over with {@code restart.text()}: a replay of the request produced text different
     * from what was already delivered. {@code offset} is that of the {@code kaption.tokens} record where it was
     * noticed (in order with the token events' offsets), or -1 when it is delivered just before the result because the
     * delivered chunks do not add up to the result's text (then no offset follows it).
     */
    void onRestart(long offset, StreamRestart restart);

    /**
     * The request's result, exactly once and last: after every final token event of the request, or after the
     * hub's result grace period if they never arrive. No call follows it.
     */
    void onResult(GenerationResult result);
}
