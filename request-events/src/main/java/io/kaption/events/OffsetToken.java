package io.kaption.events;

import io.kaption.schemas.TokenEvent;

/** A token event with the offset of its {@code kaption.tokens} record. */
record OffsetToken(long offset, TokenEvent event) implements StreamItem {}
