package io.kaption.engine.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The prompt formats of the original LLaVA repository ({@code llava/conversation.py}) for checkpoints that carry no
 * chat template, rendered for a single user turn or a whole conversation awaiting the assistant's answer. A user
 * message's images go before its text as {@code <image>\n} each, as the repository's demo code puts them.
 */
public enum ConversationFormat {

    /**
     * {@code conv_llava_v1} (LLaVA-1.5, Vicuna): system prompt, then {@code USER: ... ASSISTANT:}, separators " "
     * after a user turn and {@code </s>} after an assistant turn ({@code SeparatorStyle.TWO}).
     */
    LLAVA_V1 {
        private static final String SYSTEM = "A chat between a curious human and an artificial intelligence "
                + "assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.";

        @Override
        public String render(String userMessage) {
            return SYSTEM + " USER: " + userMessage + " ASSISTANT:";
        }

        @Override
        public String render(Conversation conversation) {
            StringBuilder out = new StringBuilder(system(conversation).orElse(SYSTEM)).append(' ');
            for (Conversation.Message message : turns(conversation)) {
                boolean user = message.role().equals("user");
                out.append(user ? "USER: " : "ASSISTANT: ").append(content(message)).append(user ? " " : "</s>");
            }
            return out.append("ASSISTANT:").toString();
        }
    },

    /** {@code conv_mistral_instruct} (LLaVA-1.6 Mistral): empty system prompt, {@code [INST] ... [/INST]}. */
    MISTRAL_INSTRUCT {
        @Override
        public String render(String userMessage) {
            return "[INST] " + userMessage + " [/INST]";
        }

        /** {@code SeparatorStyle.LLAMA_2}: a system message goes into the first turn as {@code <<SYS>>...<</SYS>>}. */
        @Override
        public String render(Conversation conversation) {
            StringBuilder out = new StringBuilder();
            String system = system(conversation).map(s -> "<<SYS>>\n" + s + "\n<</SYS>>\n\n").orElse("");
            for (Conversation.Message message : turns(conversation)) {
                if (message.role().equals("user")) {
                    out.append("[INST] ").append(system).append(content(message)).append(" [/INST]");
                    system = "";
                } else {
                    out.append(' ').append(content(message)).append(" </s>");
                }
            }
            return out.toString();
        }
    };

    /** The prompt for one user message (which already holds its {@code <image>} marker). */
    public abstract String render(String userMessage);

    /** The prompt for a conversation, ending where the assistant's next answer begins. */
    public abstract String render(Conversation conversation);

    private static Optional<String> system(Conversation conversation) {
        List<String> system = conversation.messages().stream().filter(m -> m.role().equals("system"))
                .map(ConversationFormat::content).toList();
        return system.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", system));
    }

    private static List<Conversation.Message> turns(Conversation conversation) {
        return conversation.messages().stream().filter(m -> !m.role().equals("system")).toList();
    }

    // A message's images first, then its texts.
    private static String content(Conversation.Message message) {
        StringBuilder out = new StringBuilder();
        List<String> texts = new ArrayList<>();
        for (Conversation.Part part : message.parts()) {
            if (part.isImage()) {
                out.append(PromptEncoder.IMAGE_MARKER).append('\n');
            } else {
                texts.add(part.text());
            }
        }
        return out.append(String.join("\n", texts)).toString();
    }

    /** The format the LLaVA repository uses for a model class, as listed in config.json's {@code architectures}. */
    public static Optional<ConversationFormat> forArchitecture(String architecture) {
        return switch (architecture) {
            case "LlavaLlamaForCausalLM" -> Optional.of(LLAVA_V1);
            case "LlavaMistralForCausalLM" -> Optional.of(MISTRAL_INSTRUCT);
            default -> Optional.empty();
        };
    }
}
