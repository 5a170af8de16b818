package io.kaption.worker.consume;

/** Where a request came from: its group's request topic, or its bulk lane (bucket jobs), served only with spare room. */
public enum Lane {
    /** {@code kaption.requests.<group>}: served first. */
    INTERACTIVE,
    /** {@code kaption.bulk.<group>}: fills the batch room interactive requests leave. */
    BULK
}
