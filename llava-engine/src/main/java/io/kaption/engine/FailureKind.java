package io.kaption.engine;

/** Why a request got no generation, for callers that answer with stable error codes. */
public enum FailureKind {
    /** The image cannot be decoded or preprocessed, or does not fit the model. */
    INVALID_IMAGE,
    /** The prompt cannot be encoded (e.g. two {@code <image>} markers, {@code <image>} without an image). */
    INVALID_PROMPT,
    /** The prompt does not fit {@code prompt_max_tokens} or, with {@code max_new_tokens}, the model's positions. */
    PROMPT_TOO_LONG,
    /** The LoRA adapter ({@code lora_id}) is unknown, or its files cannot be used with this model. */
    INVALID_ADAPTER,
    /** The engine failed while the request was running (e.g. a native error); its batch failed with it. */
    INFERENCE_FAILED
}
