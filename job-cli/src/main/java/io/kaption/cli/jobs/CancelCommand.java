package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kaption job cancel <id>}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = {"Cancels a job: planning stops, queued records end as 'cancelled' error lines, the records "
                + "that finished keep their lines, and the manifest is written. Prints the job id and its state "
                + "(cancelling, until the job reaches cancelled).",
                "A job that has already finished answers job_already_finished (exit status 1)."})
final class CancelCommand implements Callable<Integer> {

    @ParentCommand
    JobCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "JOB_ID")
    String jobId;

    @Override
    public Integer call() {
        JsonNode job = parent.api().cancel(jobId).body();
        spec.commandLine().getOut().println(job.path("job_id").asText() + " " + job.path("state").asText());
        return ExitCodes.OK;
    }
}
