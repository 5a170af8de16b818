package io.kaption.sink.jobs;

import io.kaption.kit.env.Env;
import io.kaption.sink.jobs.progress.JobProgressConfig;
import io.kaption.sink.jobs.shards.JobShardWriterConfig;
import java.util.Map;
import java.util.Objects;

/**
 * Whether the sink runs the bucket-job side (the progress topology and the shard writer), and their settings.
 *
 * @param enabled  {@value #ENABLED}: on by default; a deployment may run it in its own sink replicas
 * @param progress the Kafka Streams progress application
 * @param shards   the writer of shards and manifests
 */
public record JobsConfig(boolean enabled, JobProgressConfig progress, JobShardWriterConfig shards) {

    public static final String ENABLED = "KAPTION_SINK_JOBS";

    public JobsConfig {
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(shards, "shards");
    }

    /** Off: programmatic sinks (tests) opt in with {@link #enabled(boolean)}. */
    public static JobsConfig defaults(String bootstrapServers) {
        return new JobsConfig(false, JobProgressConfig.defaults(bootstrapServers),
                JobShardWriterConfig.defaults(bootstrapServers));
    }

    /** {@value #ENABLED} (default {@code true}) and the variables of both parts. */
    public static JobsConfig fromEnvironment(Map<String, String> env) {
        return new JobsConfig(Env.of(env).bool(ENABLED, true), JobProgressConfig.fromEnvironment(env),
                JobShardWriterConfig.fromEnvironment(env));
    }

    public JobsConfig enabled(boolean on) {
        return new JobsConfig(on, progress, shards);
    }
}
