package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.SamplingParams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding on the tiny fixture models, whose random weights make every output an arbitrary string:
 * 210 random regexes and JSON schemas with random prompts and sampling settings, 8 rows a batch with unconstrained
 * rows among them. Every output that ended with EOS must {@code fullmatch} (checked with java.util.regex, not the
 * automaton that produced it) or be JSON valid against its schema (checked by networknt's validator); every output
 * cut by {@code max_new_tokens} must still be a prefix of a match.
 */
class ConstrainedDecodingPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final String[] WORDS = {"What", "is", "this", "a", "cat", "Describe", "JSON", "the", "number",
        "yes", "or", "no", "picture", "tell", "me", "colour", "?", "."};
    private static final String[] REGEX_ATOMS = {"[a-z]", "[0-9]", "\\d", "[A-Z]", "(?:yes|no)", "(?:cat|dog|bird)",
        " ", "-", "\\.", ",", "[aeiou]", "x", "(?:red|green|blue)", "\\w", "[^a-z\\n]"};

    private static final List<LlavaPipeline> OPEN = new ArrayList<>();

    @AfterAll
    static void close() {
        OPEN.forEach(LlavaPipeline::close);
    }

    private record Case(String prompt, SamplingParams params, OutputConstraint constraint, String regex,
            JsonNode schema) {}

    @Test
    void everyConstrainedOutputMatches() throws Exception {
        Random random = new Random(1414);
        int checked = 0;
        int completed = 0;
        for (String variant : LlavaFixture.PUBLIC_VARIANTS) {
            LlavaPipeline pipeline = load(variant);
            for (int batch = 0; batch < 10; batch++) {
                List<Case> cases = new ArrayList<>();
                for (int row = 0; row < 8; row++) {
                    cases.add(randomCase(random, row == 7));
                }
                List<LlavaPipeline.Request> requests = cases.stream()
                        .map(c -> new LlavaPipeline.Request(c.prompt(), true, null, c.params(), c.constraint()))
                        .toList();
                List<LlavaPipeline.Result> results = pipeline.generate(requests, LlavaPipeline.Listener.NONE);
                for (int i = 0; i < cases.size(); i++) {
                    Case c = cases.get(i);
                    LlavaPipeline.Result result = results.get(i);
                    if (c.constraint() == null) {
                        continue;
                    }
                    checked++;
                    String what = variant + " " + c.constraint().key() + " -> " + JSON.writeValueAsString(result.text());
                    assertThat(result.finishReason()).as(what).isIn(FinishReason.EOS, FinishReason.LENGTH);
                    Matcher matcher = Pattern.compile(c.constraint().regex(), Pattern.UNIX_LINES).matcher(result.text());
                    if (result.finishReason() == FinishReason.EOS) {
                        completed++;
                        assertThat(matcher.matches()).as("fullmatch: " + what).isTrue();
                        if (c.schema() != null) {
                            JsonNode parsed = JSON.readTree(result.text());
                            assertThat(VALIDATORS.getSchema(c.schema()).validate(parsed)).as(what).isEmpty();
                        }
                    } else {
                        assertThat(matcher.matches() || matcher.hitEnd()).as("a prefix of a match: " + what).isTrue();
                    }
                }
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(200);
        assertThat(completed).as("outputs that ended with EOS").isGreaterThan(checked / 2);
    }

    private static LlavaPipeline load(String variant) {
        try {
            LlavaPipeline pipeline = LlavaPipeline.load(LlavaFixture.modelDir(variant), LlavaPipeline.Options.DEFAULTS);
            OPEN.add(pipeline);
            return pipeline;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case randomCase(Random random, boolean free) {
        StringBuilder prompt = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
            prompt.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        SamplingParams params = SamplingParams.greedy(32);
        if (random.nextBoolean()) {
            params = params.withSampling(0.5 + random.nextDouble(), random.nextInt(3) * 20, 0.8 + random.nextDouble() * 0.2,
                    random.nextLong());
        }
        if (random.nextInt(4) == 0) {
            params = params.withRepetitionPenalty(1.3);
        }
        if (free) {
            return new Case(prompt.toString(), params, null, null, null);
        }
        if (random.nextBoolean()) {
            String regex = randomRegex(random);
            return new Case(prompt.toString(), params, OutputConstraint.regex(regex), regex, null);
        }
        JsonNode schema = randomSchema(random, 2);
        return new Case(prompt.toString(), params.withMaxNewTokens(48), OutputConstraint.jsonSchema(schema), null, schema);
    }

    /** Mostly finite languages (bounded repeats), so that rows reach a state where only EOS may follow. */
    private static String randomRegex(Random random) {
        StringBuilder out = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            String atom = REGEX_ATOMS[random.nextInt(REGEX_ATOMS.length)];
            if (random.nextInt(5) == 0) {
                atom = "(?:" + atom + "|" + REGEX_ATOMS[random.nextInt(REGEX_ATOMS.length)] + ")";
            }
            out.append(atom).append(switch (random.nextInt(8)) {
                case 0 -> "?";
                case 1 -> "{1," + (2 + random.nextInt(5)) + "}";
                case 2 -> "{" + (1 + random.nextInt(3)) + "}";
                case 3 -> random.nextInt(3) == 0 ? "+" : "{2,4}";
                default -> "";
            });
        }
        return out.toString();
    }

    private static JsonNode randomSchema(Random random, int depth) {
        ObjectNode schema = JSON.createObjectNode();
        switch (depth == 0 ? random.nextInt(5) : random.nextInt(7)) {
            case 0 -> schema.put("type", "string").put("maxLength", 1 + random.nextInt(6));
            case 1 -> schema.put("type", random.nextBoolean() ? "integer" : "boolean");
            case 2 -> {
                ArrayNode values = schema.putArray("enum");
                values.add("yes").add("no");
                if (random.nextBoolean()) {
                    values.add(3).addNull();
                }
            }
            case 3 -> schema.put("const", "kaption");
            case 4 -> schema.putArray("type").add("null").add("boolean");
            case 5 -> schema.put("type", "array").put("maxItems", 1 + random.nextInt(3))
                    .set("items", randomSchema(random, depth - 1));
            default -> {
                schema.put("type", "object").put("additionalProperties", false);
                ObjectNode properties = schema.putObject("properties");
                ArrayNode required = schema.putArray("required");
                for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                    String name = "p" + i;
                    properties.set(name, randomSchema(random, depth - 1));
                    if (random.nextInt(3) > 0) {
                        required.add(name);
                    }
                }
            }
        }
        return schema;
    }
}
