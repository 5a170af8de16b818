package io.kaption.engine.checkpoint;

/** How a checkpoint directory names its tensors and describes its configuration. */
public enum CheckpointFormat {
    /** llava-hf {@code LlavaForConditionalGeneration}: nested text/vision configs, CLIP tower inside. */
    HF_LLAVA,
    /** llava-hf {@code LlavaNextForConditionalGeneration}: as HF_LLAVA plus anyres and {@code image_newline}. */
    HF_LLAVA_NEXT,
    /**
     * liuhaotian/LLaVA {@code LlavaLlamaForCausalLM} / {@code LlavaMistralForCausalLM}: a flat Llama/Mistral config
     * with {@code mm_*} fields; the CLIP tower is a separate directory (1.5) or inside the checkpoint (1.6).
     */
    ORIGINAL_LLAVA
}
