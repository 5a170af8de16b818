package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** Command line → {@code POST /v1/jobs} body, exactly; and the command lines refused before any call. */
class SubmitArgumentsTest {

    private static SubmitCommand parse(String... args) {
        ParseResult result = JobCommand.commandLine().parseArgs(args);
        return (SubmitCommand) result.subcommand().commandSpec().userObject();
    }

    private static String body(String... args) {
        return parse(args).submission().toJson().toString();
    }

    @Test
    void aPromptGoesThroughTheChatTemplateAndOnlyGivenFieldsAreSent() {
        assertThat(body("submit", "s3://photos/2024/", "--prompt", "Describe the image.", "--output", "s3://out/run"))
                .isEqualTo("{\"input\":\"s3://photos/2024/\",\"output\":\"s3://out/run\","
                        + "\"template\":{\"text\":\"Describe the image.\",\"use_chat_template\":true}}");
    }

    @Test
    void aTextIsSentVerbatimWithoutTheChatTemplate() {
        assertThat(body("submit", "s3://photos/", "--text", "USER: <image>\nCaption: ASSISTANT:",
                "--output", "s3://out/"))
                .isEqualTo("{\"input\":\"s3://photos/\",\"output\":\"s3://out/\","
                        + "\"template\":{\"text\":\"USER: <image>\\nCaption: ASSISTANT:\",\"use_chat_template\":false}}");
    }

    @Test
    void everyFlagMapsToItsField() {
        assertThat(body("submit", "s3://in/manifest.jsonl", "--prompt", "Q?", "--output", "s3://out/p",
                "--input-format", "jsonl", "--consumer-group", "bulk-a", "--client-token", "nightly-2024-06-01",
                "--max-new-tokens", "64", "--min-new-tokens", "2", "--sampling-temperature", "0.7",
                "--sampling-topp", "0.9", "--sampling-topk", "40", "--repetition-penalty", "1.2",
                "--no-repeat-ngram-size", "3", "--prompt-max-tokens", "512"))
                .isEqualTo("{\"input\":\"s3://in/manifest.jsonl\",\"input_format\":\"jsonl\",\"output\":\"s3://out/p\","
                        + "\"template\":{\"text\":\"Q?\",\"use_chat_template\":true,\"max_new_tokens\":64,"
                        + "\"min_new_tokens\":2,\"sampling_temperature\":0.7,\"sampling_topp\":0.9,"
                        + "\"sampling_topk\":40,\"repetition_penalty\":1.2,\"no_repeat_ngram_size\":3,"
                        + "\"prompt_max_tokens\":512},"
                        + "\"consumer_group\":\"bulk-a\",\"client_token\":\"nightly-2024-06-01\"}");
    }

    @Test
    void aManifestWhoseLinesCarryTheirOwnTextNeedsNoPrompt() {
        assertThat(body("submit", "s3://in/m.jsonl", "--output", "s3://out/", "--max-new-tokens", "32"))
                .isEqualTo("{\"input\":\"s3://in/m.jsonl\",\"output\":\"s3://out/\","
                        + "\"template\":{\"max_new_tokens\":32}}");
    }

    @Test
    void theUrlComesFromTheOptionOnEitherCommand() {
        assertThat(parse("--url", "http://127.0.0.1:4000", "submit", "s3://a/", "--output", "s3://b/").parent.url)
                .isEqualTo("http://127.0.0.1:4000");
        assertThat(parse("submit", "s3://a/", "--output", "s3://b/", "--url", "http://127.0.0.1:4001").parent.url)
                .isEqualTo("http://127.0.0.1:4001");
    }

    @Test
    void wrongCommandLinesExit64WithTheReasonAndCallNothing() {
        // --url points at a closed loopback port: a command line that got through would fail with exit status 1.
        String url = "http://127.0.0.1:9";
        assertUsageError("--prompt=TEXT, --text=TEXT are mutually exclusive (specify only one)",
                "submit", "s3://a/", "--prompt", "p", "--text", "t", "--output", "s3://b/", "--url", url);
        assertUsageError("Missing required option: '--output=S3_URI'", "submit", "s3://a/", "--prompt", "p");
        assertUsageError("INPUT must be an s3:// URI, got '/home/me/photos'",
                "submit", "/home/me/photos", "--prompt", "p", "--output", "s3://b/", "--url", url);
        assertUsageError("--output must be an s3:// URI, got 's3://'",
                "submit", "s3://a/", "--prompt", "p", "--output", "s3://", "--url", url);
        assertUsageError("--input-format must be images or jsonl, got 'csv'",
                "submit", "s3://a/", "--prompt", "p", "--output", "s3://b/", "--input-format", "csv", "--url", url);
        assertUsageError("--sampling-temperature must be greater than 0, got 0.0",
                "submit", "s3://a/", "--prompt", "p", "--output", "s3://b/", "--sampling-temperature", "0",
                "--url", url);
        assertUsageError("--sampling-topp must be in (0, 1], got 1.5",
                "submit", "s3://a/", "--prompt", "p", "--output", "s3://b/", "--sampling-topp", "1.5", "--url", url);
        assertUsageError("--max-new-tokens must be at least 1, got 0",
                "submit", "s3://a/", "--prompt", "p", "--output", "s3://b/", "--max-new-tokens", "0", "--url", url);
        assertUsageError("--limit must be 1 to 100, got 101", "list", "--limit", "101", "--url", url);
    }

    private static void assertUsageError(String message, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = JobCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));

        int status = commandLine.execute(args);

        assertThat(status).as("exit status of %s", String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString().lines().findFirst()).get(STRING).contains(message);
        assertThat(out.toString()).isEmpty();
    }
}
