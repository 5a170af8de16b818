package io.kaption.engine.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template rendered with Jinjava, configured like transformers' {@code apply_chat_template}
 * environment: {@code trim_blocks} and {@code lstrip_blocks}, loop controls, {@code raise_exception(msg)}, the
 * {@code {% generation %}} tag, and the Python {@code str} methods templates use. Message text is data, never
 * re-interpreted as template code. Immutable and thread-safe.
 */
public final class ChatTemplate {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Jinjava's opt-ins to Python Jinja2 behaviour ({@code {{- -}}} trimming, backslash escapes, precedence...). */
    private static final LegacyOverrides JINJA2_SEMANTICS = LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withAllowAdjacentTextNodes(true)
            .withUseNaturalOperatorPrecedence(true)
            .withHandleBackslashInQuotesOnly(true)
            .withEvaluateMapKeys(true)
            .withIterateOverMapKeys(true)
            .withKeepNullableLoopValues(true)
            .withUsePyishObjectMapper(true)
            .build();

    private final String source;
    private final Jinjava jinjava;

    public ChatTemplate(String source) {
        this.source = source;
        CompositeELResolver resolvers = new CompositeELResolver();
        resolvers.add(new PythonStringMethods());
        resolvers.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolvers)
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(1 << 24)
                .withLegacyOverrides(JINJA2_SEMANTICS)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerTag(new GenerationTag());
    }

    /**
     * The checkpoint's template: {@code chat_template.jinja}, else {@code chat_template.json}, else the
     * {@code chat_template} of {@code tokenizer_config.json} (a string, or the entry named "default" of a list).
     */
    public static Optional<ChatTemplate> find(Path modelDir) throws IOException {
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Optional.of(new ChatTemplate(Files.readString(jinja)));
        }
        for (String file : new String[] {"chat_template.json", "tokenizer_config.json"}) {
            Path path = modelDir.resolve(file);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            JsonNode template = JSON.readTree(path.toFile()).path("chat_template");
            if (template.isTextual()) {
                return Optional.of(new ChatTemplate(template.asText()));
            }
            for (JsonNode named : template) {
                if (named.path("name").asText().equals("default")) {
                    return Optional.of(new ChatTemplate(named.path("template").asText()));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Renders {@code messages} (Hugging Face format: {@code {"role": ..., "content": [{"type": "image"},
     * {"type": "text", "text": ...}]}}) with the given special-token strings as variables.
     *
     * @throws PromptException when the template raises or fails, with its message
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
            Map<String, String> specialTokens) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new PromptException("chat template failed: " + describe(error), error.getException());
            }
        }
        return result.getOutput();
    }

    private static String describe(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof RaisedByTemplate raised) {
                return raised.getMessage();
            }
        }
        return error.getMessage() + " (line " + error.getLineno() + ")";
    }

    /** {@code raise_exception(message)}, as transformers defines it for templates. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    private static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** transformers' {@code {% generation %}...{% endgeneration %}} marks assistant text; rendering keeps the body. */
    private static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
