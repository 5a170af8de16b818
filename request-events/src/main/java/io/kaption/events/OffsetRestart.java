package io.kaption.events;

/** A stream restart, at the offset of the token record that caused it (-1: just before the result). */
record OffsetRestart(long offset, StreamRestart restart) implements StreamItem {}
