package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kaption job status <id> [--json]}. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows where a job stands (exit status 0 whatever its state).")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    JobCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "JOB_ID")
    String jobId;

    @Option(names = "--json", description = "print the job as the API returns it (kaption.job-status/v1 JSON)")
    boolean json;

    @Override
    public Integer call() {
        JsonNode job = parent.api().get(jobId).body();
        if (json) {
            spec.commandLine().getOut().println(job.toString());
        } else {
            JobDisplay.summary(job).forEach(spec.commandLine().getOut()::println);
        }
        return ExitCodes.OK;
    }
}
