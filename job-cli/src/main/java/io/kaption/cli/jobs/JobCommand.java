package io.kaption.cli.jobs;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code kaption job}: bucket jobs through the ingest service's job API ({@code /v1/jobs}). Results and ids go to
 * stdout, progress and errors to stderr.
 */
@Command(name = "kaption job", mixinStandardHelpOptions = true,
        description = "Bucket jobs: every image under an S3 prefix (or every line of a JSONL manifest) through the "
                + "model, results as JSONL shards in S3.",
        subcommands = {SubmitCommand.class, StatusCommand.class, ListCommand.class, CancelCommand.class},
        exitCodeOnInvalidInput = ExitCodes.USAGE,
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
                "0:done; submit without --detach: the job completed",
                "1:submit: the job failed; any command: the API answered an error or could not be reached",
                "2:submit: the job ended partially_completed (some records have error lines)",
                "3:submit: the job was cancelled",
                "64:usage error"})
public final class JobCommand {

    /** Set by bin/kaption ({@code [[ -t 2 ]]}): Java itself cannot tell whether stderr is a terminal. */
    static final String STDERR_TTY_PROPERTY = "kaption.stderr.tty";

    @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
            defaultValue = "${env:KAPTION_INGEST_URL:-http://127.0.0.1:3000}",
            description = "base URL of the ingest service (default: $KAPTION_INGEST_URL or http://127.0.0.1:3000)")
    String url;

    /** The API key the CLI sends (from the environment only: a key on the command line would land in shell history). */
    static final String API_KEY = "KAPTION_API_KEY";

    JobApi api() {
        return new JobApi(url, System.getenv(API_KEY));
    }

    public static void main(String[] args) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        System.exit(commandLine.execute(args));
    }

    /** The command as picocli runs it; API errors become their stderr line and exit status 1. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new JobCommand());
        // The annotation sets it for this command only; a subcommand's usage error exits with its own spec's status.
        commandLine.getSubcommands().values()
                .forEach(sub -> sub.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE));
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            if (exception instanceof ApiError error) {
                cmd.getErr().println(error.render());
                return ExitCodes.FAILED;
            }
            throw exception;
        });
        return commandLine;
    }

    static boolean stderrIsTerminal() {
        String told = System.getProperty(STDERR_TTY_PROPERTY);
        if (told != null) {
            return Boolean.parseBoolean(told);
        }
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }
}
