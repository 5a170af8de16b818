package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kaption job submit}: submits a job, prints its id, and (unless --detach) waits for it with a progress bar. */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Submits a bucket job. Prints the job id as the first line of stdout; then, unless --detach, "
                + "shows progress on stderr until the job ends and prints a summary (state, counts, manifest).",
                "Ctrl-C stops waiting but NOT the job: follow it with 'kaption job status ID', stop it with "
                        + "'kaption job cancel ID'.",
                "Sampling flags are Takeoff's fields; only those given are sent (the service's defaults apply)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:completed (with --detach: submitted)", "1:failed, or an API error",
                "2:partially_completed", "3:cancelled", "64:usage error"})
final class SubmitCommand implements Callable<Integer> {

    private static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
    /** Without a terminal, a progress line at most this often (state changes are shown at once). */
    private static final Duration PLAIN_PROGRESS_INTERVAL = Duration.ofSeconds(5);
    /** How long waiting rides out an unreachable or unavailable service (a restart) before giving up. */
    private static final Duration OUTAGE_TOLERANCE = Duration.ofSeconds(60);

    @ParentCommand
    JobCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "s3://bucket/prefix/ (every object under it is an image) or s3://bucket/manifest.jsonl")
    String input;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PromptOption prompt;

    static final class PromptOption {
        @Option(names = "--prompt", required = true, paramLabel = "TEXT",
                description = "the question for every image, wrapped in the model's chat template (like a chat message)")
        String prompt;

        @Option(names = "--text", required = true, paramLabel = "TEXT",
                description = "the prompt sent verbatim, no chat template (use_chat_template false)")
        String text;
    }

    @Option(names = "--output", required = true, paramLabel = "S3_URI",
            description = "s3://bucket/prefix: shards and manifest go under <prefix>/<job_id>/")
    String output;

    @Option(names = "--input-format", paramLabel = "images|jsonl",
            description = "default: jsonl when INPUT ends with .jsonl, else images")
    String inputFormat;

    @Option(names = "--consumer-group", paramLabel = "GROUP", description = "worker pool (default: primary)")
    String consumerGroup;

    @Option(names = "--client-token", paramLabel = "TOKEN",
            description = "makes the submission idempotent: the same token and parameters give the same job")
    String clientToken;

    @Option(names = "--max-new-tokens", paramLabel = "N")
    Integer maxNewTokens;

    @Option(names = "--min-new-tokens", paramLabel = "N")
    Integer minNewTokens;

    @Option(names = "--sampling-temperature", paramLabel = "T")
    Double samplingTemperature;

    @Option(names = "--sampling-topp", paramLabel = "P")
    Double samplingTopp;

    @Option(names = "--sampling-topk", paramLabel = "K", description = "1 = greedy")
    Integer samplingTopk;

    @Option(names = "--repetition-penalty", paramLabel = "X")
    Double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N")
    Integer noRepeatNgramSize;

    @Option(names = "--prompt-max-tokens", paramLabel = "N")
    Integer promptMaxTokens;

    @Option(names = "--detach", description = "print the job id and return at once")
    boolean detach;

    /**
     * The submission the command line asks for. The ranges are the request schema's: checked here because the service
     * validates each record's request when it plans it, so a bad value would otherwise fail every record.
     */
    JobSubmission submission() {
        requireS3("INPUT", input);
        requireS3("--output", output);
        if (inputFormat != null && !inputFormat.equals("images") && !inputFormat.equals("jsonl")) {
            throw usage("--input-format must be images or jsonl, got '" + inputFormat + "'");
        }
        requireAtLeast("--max-new-tokens", maxNewTokens, 1);
        requireAtLeast("--min-new-tokens", minNewTokens, 0);
        requirePositive("--sampling-temperature", samplingTemperature);
        requirePositive("--sampling-topp", samplingTopp);
        if (samplingTopp != null && samplingTopp > 1) {
            throw usage("--sampling-topp must be in (0, 1], got " + samplingTopp);
        }
        requireAtLeast("--sampling-topk", samplingTopk, 1);
        requirePositive("--repetition-penalty", repetitionPenalty);
        requireAtLeast("--no-repeat-ngram-size", noRepeatNgramSize, 0);
        requireAtLeast("--prompt-max-tokens", promptMaxTokens, 1);
        JobSubmission.Prompt template = prompt == null ? null
                : prompt.prompt != null ? new JobSubmission.Prompt(prompt.prompt, true)
                : new JobSubmission.Prompt(prompt.text, false);
        return new JobSubmission(input, inputFormat, output, template,
                new JobSubmission.Sampling(maxNewTokens, minNewTokens, samplingTemperature, samplingTopp,
                        samplingTopk, repetitionPenalty, noRepeatNgramSize, promptMaxTokens),
                consumerGroup, clientToken);
    }

    @Override
    public Integer call() throws InterruptedException {
        JobSubmission submission = submission();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JobApi api = parent.api();
        JobApi.Answer answer = api.submit(submission.toJson());
        JsonNode job = answer.body();
        String jobId = job.path("job_id").asText("");
        if (jobId.isEmpty()) {
            throw ApiError.unexpectedAnswer(answer.status(), "the job has no job_id: " + job);
        }
        out.println(jobId);
        out.flush();
        if (answer.status() == 200) {
            err.println("kaption: this client token already submitted " + jobId + " (" + job.path("state").asText()
                    + ")");
        }
        if (detach) {
            return ExitCodes.OK;
        }
        err.println("kaption: waiting for " + jobId + "; Ctrl-C stops waiting, not the job (cancel it with: "
                + "kaption job cancel " + jobId + ")");
        err.flush();
        ProgressReporter progress = new ProgressReporter(JobCommand.stderrIsTerminal(), PLAIN_PROGRESS_INTERVAL);
        Thread interrupted = new Thread(() -> {
            err.print(progress.finish());
            err.println("kaption: stopped waiting; " + jobId + " keeps running (kaption job status " + jobId + ")");
            err.flush();
        });
        Runtime.getRuntime().addShutdownHook(interrupted);
        try {
            job = await(api, job, progress, err);
        } catch (ApiError error) {
            err.print(progress.finish());
            err.println(error.render());
            err.println("kaption: " + jobId + " may still be running (kaption job status " + jobId + ")");
            return ExitCodes.FAILED;
        } finally {
            removeHook(interrupted);
        }
        err.print(progress.finish());
        err.flush();
        JobDisplay.summary(job).forEach(out::println);
        return ExitCodes.forTerminalState(job.path("state").asText());
    }

    private static JsonNode await(JobApi api, JsonNode job, ProgressReporter progress, PrintWriter err)
            throws InterruptedException {
        String jobId = job.path("job_id").asText();
        Instant failingSince = null;
        while (true) {
            progress.update(job, Instant.now()).ifPresent(err::print);
            err.flush();
            if (ExitCodes.isTerminal(job.path("state").asText())) {
                return job;
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
            try {
                job = api.get(jobId).body();
                failingSince = null;
            } catch (ApiError error) {
                Instant now = Instant.now();
                if (!error.isTransient() || failingSince != null && now.isAfter(failingSince.plus(OUTAGE_TOLERANCE))) {
                    throw error;
                }
                if (failingSince == null) {
                    failingSince = now;
                    err.print(progress.finish());
                    err.println(error.render() + "; retrying for up to " + OUTAGE_TOLERANCE.toSeconds() + " s");
                }
            }
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C arrived meanwhile: the hook is running, as it should.
        }
    }

    private void requireS3(String name, String uri) {
        if (!uri.startsWith("s3://") || uri.length() <= "s3://".length()) {
            throw usage(name + " must be an s3:// URI, got '" + uri + "'");
        }
    }

    private void requireAtLeast(String name, Integer value, int minimum) {
        if (value != null && value < minimum) {
            throw usage(name + " must be at least " + minimum + ", got " + value);
        }
    }

    private void requirePositive(String name, Double value) {
        if (value != null && !(value > 0)) {
            throw usage(name + " must be greater than 0, got " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
