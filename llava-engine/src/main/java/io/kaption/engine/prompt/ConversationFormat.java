package io.kaption.engine.prompt;

import java.util.Optional;

/**
 * The prompt formats of the original LLaVA repository ({@code llava/conversation.py}) for checkpoints that carry no
 * chat template, rendered for a single user turn awaiting the assistant's answer.
 */
public enum ConversationFormat {

    /** {@code conv_llava_v1} (LLaVA-1.5, Vicuna): system prompt, then {@code USER: ... ASSISTANT:}, separator " ". */
    LLAVA_V1 {
        @Override
        public String render(String userMessage) {
            return "A chat between a curious human and an artificial intelligence assistant. "
                    + "The assistant gives helpful, detailed, and polite answers to the human's questions."
                    + " USER: " + userMessage + " ASSISTANT:";
        }
    },

    /** {@code conv_mistral_instruct} (LLaVA-1.6 Mistral): empty system prompt, {@code [INST] ... [/INST]}. */
    MISTRAL_INSTRUCT {
        @Override
        public String render(String userMessage) {
            return "[INST] " + userMessage + " [/INST]";
        }
    };

    /** The prompt for one user message (which already holds its {@code <image>} marker). */
    public abstract String render(String userMessage);

    /** The format the LLaVA repository uses for a model class, as listed in config.json's {@code architectures}. */
    public static Optional<ConversationFormat> forArchitecture(String architecture) {
        return switch (architecture) {
            case "LlavaLlamaForCausalLM" -> Optional.of(LLAVA_V1);
            case "LlavaMistralForCausalLM" -> Optional.of(MISTRAL_INSTRUCT);
            default -> Optional.empty();
        };
    }
}
