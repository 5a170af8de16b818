package io.kaption.events;

/** What a request's history holds for its subscribers, at the {@code kaption.tokens} offset it came from. */
sealed interface StreamItem permits OffsetToken, OffsetRestart {

    long offset();
}
