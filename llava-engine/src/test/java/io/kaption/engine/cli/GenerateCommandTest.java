package io.kaption.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.generation.SamplingParams;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code kaption generate} run in-process on the llava15-tiny fixture, stdout and stderr captured. */
class GenerateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VARIANT = "llava15-tiny";

    private static Path model;
    private static JsonNode square;
    private static JsonNode exact;

    @TempDir
    Path temp;

    record Run(int exitCode, String out, String err) {}

    @BeforeAll
    static void fixture() {
        model = LlavaFixture.modelDir(VARIANT);
        square = caseById("square");
        exact = caseById("exact");
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GenerateCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void imageAndPromptPrintTheAnswer() {
        Run run = run("--model", model.toString(), "--image", fixtureImage(square).toString(),
                "--prompt", square.path("prompt").asText(), "--max-new-tokens", "12");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(hf(square).path("new_text").asText() + System.lineSeparator());
    }

    @Test
    void verbatimTextSkipsTheTemplate() {
        Run run = run("--model", model.toString(), "--image", fixtureImage(exact).toString(),
                "--text", exact.path("prompt_string").asText(), "--max-new-tokens", "12", "--dtype", "float32");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(hf(exact).path("new_text").asText() + System.lineSeparator());
    }

    @Test
    void requestsFilePrintsOneLinePerRequestInOrder() throws IOException {
        Files.copy(fixtureImage(square), temp.resolve("square.png"));
        Files.createDirectories(temp.resolve("img"));
        Files.copy(fixtureImage(exact), temp.resolve("img/exact.png"));
        Files.write(temp.resolve("not-an-image.png"), "GIF89a but not really".getBytes());
        JsonNode reppen = caseById("reppen1.3");
        String squarePrompt = JSON.writeValueAsString(square.path("prompt").asText());
        List<String> lines = List.of(
                "{\"id\": \"square\", \"text\": " + squarePrompt + ", \"image_paths\": [\"square.png\"], "
                        + "\"max_new_tokens\": 12, \"consumer_group\": \"primary\", \"stream\": true}",
                "{\"id\": 7, \"text\": [" + squarePrompt + ", \"Describe the colors.\"], "
                        + "\"image_paths\": [\"square.png\"], \"max_new_tokens\": 12}",
                "{\"id\": \"broken\", \"text\": ",
                "",
                "{\"id\": \"missing\", \"text\": \"What?\", \"image_paths\": [\"nope.png\"]}",
                "{\"id\": \"regex\", \"text\": \"What?\", \"image_paths\": [\"square.png\"], \"regex_string\": \"[a-z\"}",
                "{\"id\": \"verbatim\", \"text\": " + JSON.writeValueAsString(exact.path("prompt_string").asText())
                        + ", \"use_chat_template\": false, \"image_paths\": [\"img/exact.png\"], \"max_new_tokens\": 12}",
                "{\"id\": \"wrong-type\", \"text\": \"What?\", \"max_new_tokens\": \"12\"}",
                "{\"id\": \"undecodable\", \"text\": \"What?\", \"image_paths\": [\"not-an-image.png\"]}",
                "{\"id\": \"reppen\", \"text\": " + squarePrompt + ", \"image_paths\": [\"square.png\"], "
                        + "\"max_new_tokens\": 24, \"repetition_penalty\": 1.3, \"lora_id\": null}",
                "{\"id\": \"text-only\", \"text\": \"Say something.\", \"max_new_tokens\": 5}");
        Path file = temp.resolve("requests.jsonl");
        Files.write(file, lines);

        // --batch-size 2: lines are submitted 8 at a time, so the file spans two submissions.
        Run run = run("--model", model.toString(), "--requests", file.toString(), "--batch-size", "2");

        Result colors;
        Result textOnly;
        String undecodable;
        try (LlavaPipeline pipeline = LlavaPipeline.load(model, LlavaPipeline.Options.DEFAULTS)) {
            List<Result> reference = pipeline.generate(List.of(
                    new Request("Describe the colors.", true, Files.readAllBytes(fixtureImage(square)),
                            SamplingParams.greedy(12)),
                    new Request("Say something.", true, null, SamplingParams.greedy(5)),
                    new Request("What?", true, Files.readAllBytes(temp.resolve("not-an-image.png")),
                            SamplingParams.DEFAULTS)), LlavaPipeline.Listener.NONE);
            colors = reference.get(0);
            textOnly = reference.get(1);
            undecodable = reference.get(2).error();
        }
        assertThat(undecodable).isNotBlank();
        ObjectNode list = JSON.createObjectNode();
        list.put("id", 7);
        list.putArray("text").add(hf(square).path("new_text").asText()).add(colors.text());
        list.putArray("token_ids").add(hf(square).path("new_token_ids")).add(ints(colors.tokenIds()));
        list.putArray("prompt_token_ids").add(square.path("input_ids")).add(ints(colors.promptTokenIds()));

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().lines().toList()).containsExactly(
                result("square", hf(square).path("new_text").asText(), hf(square).path("new_token_ids"),
                        square.path("input_ids")),
                list.toString(),
                "{\"id\":null,\"error\":\"line 3 is not valid JSON\"}",
                "{\"id\":\"missing\",\"error\":\"image file not found: nope.png\"}",
                JSON.createObjectNode().put("id", "regex")
                        .put("error", catchThrowable(() -> OutputConstraint.regex("[a-z")).getMessage()).toString(),
                result("verbatim", hf(exact).path("new_text").asText(), hf(exact).path("new_token_ids"),
                        exact.path("input_ids")),
                "{\"id\":\"wrong-type\",\"error\":\"max_new_tokens must be an integer\"}",
                JSON.createObjectNode().put("id", "undecodable").put("error", undecodable).toString(),
                result("reppen", reppen.path("new_text").asText(), reppen.path("new_token_ids"),
                        reppen.path("input_ids")),
                result("text-only", textOnly.text(), ints(textOnly.tokenIds()), ints(textOnly.promptTokenIds())));
        assertThat(textOnly.tokenIds()).hasSize(5);
    }

    @Test
    void requestsLinesRunUnderTheirRegexStringOrJsonSchema() throws IOException {
        Files.copy(fixtureImage(square), temp.resolve("square.png"), StandardCopyOption.REPLACE_EXISTING);
        String schema = "{\"type\":\"object\",\"properties\":{\"colour\":{\"enum\":[\"red\",\"green\",\"blue\"]}},"
                + "\"required\":[\"colour\"],\"additionalProperties\":false}";
        Path file = temp.resolve("constrained.jsonl");
        Files.write(file, List.of(
                "{\"id\": \"regex\", \"text\": \"What colour is it?\", \"image_paths\": [\"square.png\"], "
                        + "\"regex_string\": \"(yes|no), [a-z]{1,6}\", \"max_new_tokens\": 16}",
                "{\"id\": \"schema\", \"messages\": [{\"role\": \"user\", \"content\": \"Pick a colour.\"}], "
                        + "\"json_schema\": " + schema + ", \"max_new_tokens\": 24}",
                "{\"id\": \"both\", \"text\": \"Hi\", \"regex_string\": \"a\", \"json_schema\": {\"type\": \"string\"}}",
                "{\"id\": \"schema-type\", \"text\": \"Hi\", \"json_schema\": \"{}\"}"));

        Run run = run("--model", model.toString(), "--requests", file.toString());

        List<Result> reference;
        try (LlavaPipeline pipeline = LlavaPipeline.load(model, LlavaPipeline.Options.DEFAULTS)) {
            reference = pipeline.generate(List.of(
                    new Request("What colour is it?", true, Files.readAllBytes(fixtureImage(square)),
                            SamplingParams.DEFAULTS.withMaxNewTokens(16), OutputConstraint.regex("(yes|no), [a-z]{1,6}")),
                    new Request("Pick a colour.", true, null, SamplingParams.DEFAULTS.withMaxNewTokens(24),
                            OutputConstraint.jsonSchema(JSON.readTree(schema)))), LlavaPipeline.Listener.NONE);
        }
        // The pipeline's result is the CLI's: the constraint reached the engine (free text would differ).
        assertThat(reference).allSatisfy(r -> assertThat(r.error()).isNull());
        assertThat(reference.get(0).text()).matches("(yes|no), [a-z]{1,6}");
        assertThat(JSON.readTree(reference.get(1).text()).path("colour").asText()).isIn("red", "green", "blue");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().lines().toList()).containsExactly(
                result("regex", reference.get(0).text(), ints(reference.get(0).tokenIds()),
                        ints(reference.get(0).promptTokenIds())),
                result("schema", reference.get(1).text(), ints(reference.get(1).tokenIds()),
                        ints(reference.get(1).promptTokenIds())),
                "{\"id\":\"both\",\"error\":\"set regex_string or json_schema, not both\"}",
                "{\"id\":\"schema-type\",\"error\":\"json_schema must be a JSON object\"}");
    }

    @Test
    void requestsLinesTakeLoraIdWithLoraDir() throws IOException {
        JsonNode lora = null;
        for (JsonNode c : LlavaFixture.conversationsJson(VARIANT).path("cases")) {
            if (c.path("kind").asText().equals("lora")) {
                lora = c;
            }
        }
        assertThat(lora).isNotNull();
        Files.createDirectories(temp.resolve("images"));
        List<String> lines = new ArrayList<>();
        for (JsonNode row : lora.path("rows")) {
            Path image = LlavaFixture.variantDir(VARIANT).resolve(row.path("image").asText());
            Files.copy(image, temp.resolve("images").resolve(image.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            ObjectNode line = JSON.createObjectNode().put("id", lines.size()).put("text", row.path("prompt_string")
                    .asText()).put("use_chat_template", false).put("max_new_tokens", 12);
            line.putArray("image_paths").add("images/" + image.getFileName());
            line.set("lora_id", row.path("lora_id"));
            lines.add(line.toString());
        }
        lines.add("{\"id\": \"unknown\", \"text\": \"Hi\", \"lora_id\": \"nope\", \"max_new_tokens\": 2}");
        lines.add("{\"id\": \"not-a-name\", \"text\": \"Hi\", \"lora_id\": 5}");
        Path file = temp.resolve("lora.jsonl");
        Files.write(file, lines);
        Path loraDir = LlavaFixture.variantDir(VARIANT).resolve("lora");

        // --batch-size 4: the four rows (two adapters and the base model) decode as one mixed batch.
        Run run = run("--model", model.toString(), "--requests", file.toString(), "--batch-size", "4",
                "--lora-dir", loraDir.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> out = run.out().lines().toList();
        assertThat(out).hasSize(lora.path("rows").size() + 2);
        for (int i = 0; i < lora.path("rows").size(); i++) {
            JsonNode row = lora.path("rows").get(i);
            JsonNode printed = JSON.readTree(out.get(i));
            assertThat(printed.path("token_ids")).as("row %d", i).isEqualTo(row.path("mixed_batch_new_token_ids"));
            assertThat(printed.path("text").asText()).isEqualTo(row.path("new_text").asText());
        }
        assertThat(JSON.readTree(out.get(4)).path("error").asText()).contains("unknown LoRA adapter 'nope'");
        assertThat(out.get(5)).isEqualTo("{\"id\":\"not-a-name\",\"error\":\"lora_id must be a string\"}");

        Run noDir = run("--model", model.toString(), "--requests", file.toString());
        assertThat(JSON.readTree(noDir.out().lines().toList().get(0)).path("error").asText())
                .contains("'style-a'", "no adapter directory");
        Run badDir = run("--model", model.toString(), "--requests", file.toString(), "--lora-dir",
                temp.resolve("absent").toString());
        assertThat(badDir.exitCode()).isEqualTo(2);
        assertThat(badDir.err()).contains("--lora-dir is not a directory");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava15-tiny", "llava-mistral-tiny", "llava-next-tiny"})
    void messagesLinesGiveTheConversationFixturesIds(String variant) throws IOException {
        Path images = Files.createDirectories(temp.resolve("images"));
        List<String> lines = new ArrayList<>();
        List<JsonNode> cases = new ArrayList<>();
        for (JsonNode c : LlavaFixture.conversationsJson(variant).path("cases")) {
            if (!c.path("kind").asText().equals("chat")) {
                continue;
            }
            JsonNode messages = c.path("messages_openai").deepCopy();
            for (JsonNode ref : c.path("image_refs")) {
                Path source = LlavaFixture.variantDir(variant).resolve(ref.asText());
                Files.copy(source, images.resolve(source.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            if (cases.isEmpty()) { // the first conversation's images inline, as data: URLs
                for (JsonNode message : messages) {
                    for (JsonNode part : message.path("content")) {
                        if (part.path("type").asText().equals("image_url")) {
                            byte[] png = Files.readAllBytes(LlavaFixture.variantDir(variant)
                                    .resolve(part.path("image_url").path("url").asText()));
                            ((ObjectNode) part.path("image_url")).put("url",
                                    "data:image/png;base64," + Base64.getEncoder().encodeToString(png));
                        }
                    }
                }
            }
            ObjectNode line = JSON.createObjectNode().put("id", c.path("id").asText());
            line.set("messages", messages);
            line.put("max_new_tokens", c.path("new_token_ids").size());
            lines.add(line.toString());
            cases.add(c);
        }
        lines.add("{\"id\": \"both\", \"text\": \"Hi\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        lines.add("{\"id\": \"tool\", \"messages\": [{\"role\": \"tool\", \"content\": \"42\"}]}");
        Path file = temp.resolve("chats.jsonl");
        Files.write(file, lines);

        Run run = run("--model", LlavaFixture.modelDir(variant).toString(), "--requests", file.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> out = run.out().lines().toList();
        assertThat(out).hasSize(cases.size() + 2);
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            assertThat(out.get(i)).isEqualTo(result(c.path("id").asText(), c.path("new_text").asText(),
                    c.path("new_token_ids"), c.path("input_ids")));
        }
        assertThat(out.get(cases.size())).isEqualTo("{\"id\":\"both\",\"error\":\"messages go without text and "
                + "image_paths (images are image_url parts)\"}");
        assertThat(out.get(cases.size() + 1)).isEqualTo("{\"id\":\"tool\",\"error\":\"messages[0].role must be "
                + "system, developer, user or assistant\"}");
    }

    @Test
    void usageErrorsExitWithTwo() throws IOException {
        Path jsonl = Files.writeString(temp.resolve("r.jsonl"), "{\"text\": \"x\"}\n");
        assertThat(run("--prompt", "x").exitCode()).isEqualTo(2);
        Run both = run("--model", model.toString(), "--image", fixtureImage(square).toString(),
                "--requests", jsonl.toString());
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("--requests cannot be combined with --image");
        assertThat(run("--model", model.toString()).exitCode()).isEqualTo(2);
        assertThat(run("--model", model.toString(), "--prompt", "x", "--text", "y").exitCode()).isEqualTo(2);
        Run badFlag = run("--model", model.toString(), "--prompt", "x", "--sampling-topp", "0");
        assertThat(badFlag.exitCode()).isEqualTo(2);
        assertThat(badFlag.err()).contains("sampling-topp must be in (0, 1]");
        Run noImage = run("--model", model.toString(), "--prompt", "x", "--image", temp.resolve("none.png").toString());
        assertThat(noImage.exitCode()).isEqualTo(2);
        assertThat(noImage.err()).contains("--image file not found");
        assertThat(run("--model", model.toString(), "--prompt", "x", "--dtype", "int8").exitCode()).isEqualTo(2);
        assertThat(run().out()).isEmpty();
    }

    @Test
    void aModelThatCannotLoadExitsWithOne() {
        Run run = run("--model", temp.toString(), "--prompt", "What?");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot load the model in " + temp);
        assertThat(run.out()).isEmpty();
    }

    private static String result(String id, String text, JsonNode tokenIds, JsonNode promptIds) {
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("text", text);
        json.set("token_ids", tokenIds);
        json.set("prompt_token_ids", promptIds);
        return json.toString();
    }

    private static ArrayNode ints(int[] values) {
        ArrayNode array = JSON.createArrayNode();
        for (int v : values) {
            array.add(v);
        }
        return array;
    }

    private static JsonNode hf(JsonNode c) {
        return c.path("preprocess").path("hf");
    }

    private static Path fixtureImage(JsonNode c) {
        return LlavaFixture.variantDir(VARIANT).resolve(c.path("image").asText());
    }

    private static JsonNode caseById(String id) {
        for (JsonNode c : LlavaFixture.casesJson(VARIANT).path("cases")) {
            if (c.path("id").asText().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no case " + id);
    }
}
