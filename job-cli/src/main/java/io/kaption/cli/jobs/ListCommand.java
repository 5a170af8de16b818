package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kaption job list [--limit n] [--after id]}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists jobs, newest first.")
final class ListCommand implements Callable<Integer> {

    @ParentCommand
    JobCommand parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--limit", defaultValue = "20", paramLabel = "N", description = "1 to 100 (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--after", paramLabel = "JOB_ID", description = "the jobs older than this one (the next page)")
    String after;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 100) {
            throw new ParameterException(spec.commandLine(), "--limit must be 1 to 100, got " + limit);
        }
        JsonNode page = parent.api().list(limit, after).body();
        JobDisplay.table(page.path("data")).forEach(spec.commandLine().getOut()::println);
        if (page.path("has_more").asBoolean()) {
            spec.commandLine().getErr().println("kaption: more jobs: kaption job list --limit " + limit + " --after "
                    + page.path("last_id").asText());
        }
        return ExitCodes.OK;
    }
}
