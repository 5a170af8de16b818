package io.kaption.schemas;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Why generation of a prompt ended. */
public enum FinishReason {
    /** The model produced its end-of-sequence token (or the output constraint completed). */
    @JsonProperty("stop") STOP,
    /** {@code max_new_tokens} was reached. */
    @JsonProperty("length") LENGTH,
    /** The request failed; the result carries the error. */
    @JsonProperty("error") ERROR
}
