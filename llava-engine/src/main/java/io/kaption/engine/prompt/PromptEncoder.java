package io.kaption.engine.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's prompt text (or conversation) into token ids with one image token per image, the way the
 * checkpoint's own Python stack does.
 *
 * <ul>
 *   <li>{@code useChatTemplate = false}: the text verbatim; {@code <image>} marks where the image goes and a text
 *       without it gets the image right after BOS.</li>
 *   <li>{@code useChatTemplate = true}: a conversation format when one is forced, else the checkpoint's chat
 *       template (Hugging Face layout) with one user message {@code [image..., text]}, else the LLaVA conversation
 *       format of its architecture (original layout). {@code <image>} markers in the text (one per image, or none)
 *       are removed for templates, which place the images themselves, and kept as the image positions in
 *       conversation formats.</li>
 *   <li>A {@link Conversation}: the chat template renders all its messages, as transformers'
 *       {@code apply_chat_template(messages, add_generation_prompt=True)} does; without a template the conversation
 *       format's multi-turn form.</li>
 * </ul>
 * Tokenizers that have {@code <image>} as an added token with the image id tokenize the rendered text directly; for
 * the others the text is split at the marker and the pieces tokenized separately ({@code tokenizer_image_token} of
 * the LLaVA repository). Thread-safe.
 */
public final class PromptEncoder {

    /** The placeholder id original LLaVA code puts in input_ids for the image ({@code IMAGE_TOKEN_INDEX}). */
    public static final long ORIGINAL_LLAVA_IMAGE_TOKEN_ID = -200;
    /** transformers' default {@code image_token_index} for Hugging Face LLaVA configs that do not write one. */
    public static final long HF_DEFAULT_IMAGE_TOKEN_ID = 32000;
    public static final String IMAGE_MARKER = "<image>";

    private static final Logger LOG = LoggerFactory.getLogger(PromptEncoder.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LlavaTokenizer tokenizer;
    private final long imageTokenId;
    private final Optional<ChatTemplate> chatTemplate;
    private final Optional<ConversationFormat> conversationFormat;
    private final boolean tokenizerKnowsImageMarker;

    /**
     * @param chatTemplate       the checkpoint's template, used when no conversation format is given
     * @param conversationFormat a forced format (or the architecture's, when there is no template)
     */
    public PromptEncoder(LlavaTokenizer tokenizer, long imageTokenId, Optional<ChatTemplate> chatTemplate,
            Optional<ConversationFormat> conversationFormat) {
        this.tokenizer = tokenizer;
        this.imageTokenId = imageTokenId;
        this.chatTemplate = chatTemplate;
        this.conversationFormat = conversationFormat;
        this.tokenizerKnowsImageMarker = tokenizer.addedTokenId(IMAGE_MARKER).map(id -> id == imageTokenId).orElse(false);
    }

    /**
     * The encoder of a checkpoint: image id from config.json's {@code image_token_index} (original checkpoints have
     * none and get {@link #ORIGINAL_LLAVA_IMAGE_TOKEN_ID}; Hugging Face configs without it
     * {@link #HF_DEFAULT_IMAGE_TOKEN_ID}), its chat template, and — unless {@code formatOverride}
     * is given — a conversation format only when it has no template, chosen by {@code architectures}.
     */
    public static PromptEncoder forCheckpoint(Path modelDir, LlavaTokenizer tokenizer,
            Optional<ConversationFormat> formatOverride) throws IOException {
        JsonNode config = JSON.readTree(modelDir.resolve("config.json").toFile());
        // Absent image_token_index: the LLaVA repository's -200 for original checkpoints (mm_vision_tower), else
        // transformers' LlavaConfig / LlavaNextConfig default, as the model loader does.
        long imageId = config.has("image_token_index") ? config.get("image_token_index").asLong()
                : config.has("mm_vision_tower") ? ORIGINAL_LLAVA_IMAGE_TOKEN_ID : HF_DEFAULT_IMAGE_TOKEN_ID;
        Optional<ChatTemplate> template = ChatTemplate.find(modelDir);
        Optional<ConversationFormat> format = formatOverride;
        if (format.isEmpty() && template.isEmpty()) {
            for (JsonNode architecture : config.path("architectures")) {
                format = ConversationFormat.forArchitecture(architecture.asText());
                if (format.isPresent()) {
                    break;
                }
            }
        }
        LOG.info("prompts for {}: {}, image token {}", modelDir.getFileName(),
                format.map(f -> "conversation format " + f).orElse(template.isPresent() ? "chat template" : "verbatim only"),
                imageId);
        return new PromptEncoder(tokenizer, imageId, template, format);
    }

    /** The id that marks the image in encoded prompts, which the model replaces by the image features. */
    public long imageTokenId() {
        return imageTokenId;
    }

    /** Renders (when asked) and tokenizes one prompt about one image; see {@link #encode(String, boolean, int)}. */
    public EncodedPrompt encode(String userText, boolean useChatTemplate) {
        return encode(userText, useChatTemplate, 1);
    }

    /**
     * Renders (when asked) and tokenizes one prompt about {@code images} images (at least one); throws
     * {@link PromptException} for unusable input.
     */
    public EncodedPrompt encode(String userText, boolean useChatTemplate, int images) {
        int markers = countMarkers(userText);
        if (markers != 0 && markers != images) {
            throw new PromptException("the request carries " + images + (images == 1 ? " image" : " images")
                    + ", but the prompt has " + markers + " " + IMAGE_MARKER + " markers");
        }
        String text;
        if (!useChatTemplate) {
            text = markers > 0 ? userText : IMAGE_MARKER.repeat(images) + userText;
        } else if (conversationFormat.isPresent()) {
            text = conversationFormat.get().render(markers > 0 ? userText : (IMAGE_MARKER + "\n").repeat(images) + userText);
        } else if (chatTemplate.isPresent()) {
            String plain = markers > 0 ? userText.replace(IMAGE_MARKER, "").strip() : userText;
            List<Conversation.Part> parts = new ArrayList<>(Collections.nCopies(images, Conversation.Part.IMAGE));
            parts.add(Conversation.Part.text(plain));
            text = renderTemplate(chatTemplate.get(),
                    new Conversation(List.of(new Conversation.Message("user", parts))));
        } else {
            throw new PromptException("use_chat_template was requested but the checkpoint has no chat template "
                    + "and no conversation format was configured");
        }
        return new EncodedPrompt(text, tokenize(text), imageTokenId);
    }

    /**
     * A prompt without image (a request that carries none): the same paths as {@link #encode}, with a user message of
     * text only; an {@code <image>} marker in the text is refused since there is no image to put there.
     */
    public EncodedPrompt encodeTextOnly(String userText, boolean useChatTemplate) {
        if (countMarkers(userText) > 0) {
            throw new PromptException("the prompt has an " + IMAGE_MARKER + " marker but the request has no image");
        }
        String text;
        if (!useChatTemplate) {
            text = userText;
        } else if (conversationFormat.isPresent()) {
            text = conversationFormat.get().render(userText);
        } else if (chatTemplate.isPresent()) {
            text = renderTemplate(chatTemplate.get(), new Conversation(List.of(
                    new Conversation.Message("user", List.of(Conversation.Part.text(userText))))));
        } else {
            throw new PromptException("use_chat_template was requested but the checkpoint has no chat template "
                    + "and no conversation format was configured");
        }
        return new EncodedPrompt(text, tokenize(text), imageTokenId);
    }

    /**
     * Renders a whole conversation with the checkpoint's chat template (else its conversation format) and tokenizes
     * it; the prompt holds one image token per image part, in the parts' order.
     */
    public EncodedPrompt encodeConversation(Conversation conversation) {
        for (Conversation.Message message : conversation.messages()) {
            for (Conversation.Part part : message.parts()) {
                if (!part.isImage() && part.text().contains(IMAGE_MARKER)) {
                    throw new PromptException("message text may not contain " + IMAGE_MARKER
                            + " (images are image parts)");
                }
            }
        }
        String text;
        if (conversationFormat.isPresent()) {
            text = conversationFormat.get().render(conversation);
        } else if (chatTemplate.isPresent()) {
            text = renderTemplate(chatTemplate.get(), conversation);
        } else {
            throw new PromptException("the checkpoint has no chat template and no conversation format was configured, "
                    + "so it cannot render messages");
        }
        return new EncodedPrompt(text, tokenize(text), imageTokenId);
    }

    private String renderTemplate(ChatTemplate template, Conversation conversation) {
        String rendered = template.render(conversation.toTemplateMessages(), true, tokenizer.specialTokens());
        int placed = countMarkers(rendered);
        int expected = conversation.imageCount();
        if (placed != expected) {
            throw new PromptException("the chat template placed " + placed + " images, expected " + expected);
        }
        return rendered;
    }

    private long[] tokenize(String text) {
        String bos = tokenizer.specialTokens().get("bos_token");
        // transformers' processors skip the tokenizer's own BOS when the template already wrote one.
        boolean addSpecial = bos == null || !text.startsWith(bos);
        if (tokenizerKnowsImageMarker) {
            return tokenizer.encode(text, addSpecial);
        }
        return spliceImageToken(tokenizer, text, imageTokenId, addSpecial);
    }

    /**
     * The LLaVA repository's {@code tokenizer_image_token}: each piece between {@code <image>} markers is tokenized
     * on its own (with the tokenizer's special tokens), the leading BOS of every piece after the first is dropped,
     * and {@code imageTokenId} goes between the pieces.
     */
    public static long[] spliceImageToken(LlavaTokenizer tokenizer, String text, long imageTokenId, boolean addSpecial) {
        String bosToken = tokenizer.specialTokens().get("bos_token");
        long bos = bosToken == null ? Long.MIN_VALUE : tokenizer.addedTokenId(bosToken).orElse(Integer.MIN_VALUE);
        List<Long> out = new ArrayList<>();
        String[] pieces = text.split(Pattern.quote(IMAGE_MARKER), -1);
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) {
                out.add(imageTokenId);
            }
            long[] chunk = tokenizer.encode(pieces[i], addSpecial);
            int skip = i > 0 && addSpecial && chunk.length > 0 && chunk[0] == bos ? 1 : 0;
            for (int j = skip; j < chunk.length; j++) {
                out.add(chunk[j]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static int countMarkers(String s) {
        int n = 0;
        for (int i = s.indexOf(IMAGE_MARKER); i >= 0; i = s.indexOf(IMAGE_MARKER, i + IMAGE_MARKER.length())) {
            n++;
        }
        return n;
    }
}
