package io.kaption.events;

import io.kaption.schemas.FinishReason;

/**
 * A prompt's token stream starts over: what a client has shown of prompt {@code batchId} so far is to be replaced by
 * {@code text}, and the token events that follow for it continue {@code text}. It happens only when a redelivered
 * request, generated again by another attempt, produced text different from what clients were already sent
 * (see {@link RequestEventListener#onRestart}).
 *
 * @param finishReason set when {@code text} is already the prompt's whole answer (no token event follows for it)
 */
public record StreamRestart(String requestId, int batchId, String text, FinishReason finishReason) {}
