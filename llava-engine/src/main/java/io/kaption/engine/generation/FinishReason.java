package io.kaption.engine.generation;

/** Why a request stopped generating. */
public enum FinishReason {
    /** An end-of-sequence id was generated (it is the last generated id). */
    EOS,
    /** {@code max_new_tokens} ids were generated. */
    LENGTH,
    /** The request was rejected or failed; the result carries the message. */
    ERROR,
    /** The caller stopped the request ({@code GenerationSession.cancel}); the ids generated so far are kept. */
    CANCELLED
}
