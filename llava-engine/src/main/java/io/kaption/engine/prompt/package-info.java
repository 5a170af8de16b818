/**
 * Prompt construction and tokenization for LLaVA checkpoints.
 *
 * <h2>API</h2>
 * <pre>{@code
 * LlavaTokenizer tokenizer = LlavaTokenizer.load(modelDir);              // tokenizer.json, offline; close() at shutdown
 * PromptEncoder prompts = PromptEncoder.forCheckpoint(modelDir, tokenizer, Optional.empty());
 * SpecialTokenIds special = SpecialTokenIds.read(modelDir, tokenizer);     // BOS, EOS set, pad
 * EncodedPrompt prompt = prompts.encode(userText, useChatTemplate);       // one image token, BOS first
 * long[] modelIds = prompt.expandedIds(n);       // n = ImageProcessor.imageTokenCount(...)
 * if (prompt.length(n) > promptMaxTokens) prompt = prompt.truncateLeft(promptMaxTokens, n, special.bos());
 * }</pre>
 * <ul>
 *   <li>{@link io.kaption.engine.prompt.ChatTemplate} renders Hugging Face chat templates with Jinjava, configured for
 *       Jinja2 semantics (trim/lstrip blocks, {@code {{- -}}}, loop controls, {@code namespace},
 *       {@code raise_exception}, {@code {% generation %}}, Python {@code str} methods); failures raise
 *       {@link io.kaption.engine.prompt.PromptException}.</li>
 *   <li>{@link io.kaption.engine.prompt.ConversationFormat} holds the original LLaVA formats ({@code llava_v1},
 *       {@code mistral_instruct}) for checkpoints without a template, picked by architecture, overridable.</li>
 *   <li>The image token id is config.json's {@code image_token_index}; original checkpoints, whose tokenizer has no
 *       {@code <image>}, get {@link io.kaption.engine.prompt.PromptEncoder#ORIGINAL_LLAVA_IMAGE_TOKEN_ID} (-200) as in
 *       the LLaVA repository; ask {@link io.kaption.engine.prompt.EncodedPrompt#imageTokenId()}.</li>
 * </ul>
 */
package io.kaption.engine.prompt;
