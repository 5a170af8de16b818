package io.kaption.sink;

import io.kaption.apikeys.ApiAccess;
import io.kaption.events.RequestEventHub;
import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.GroupMembership;
import io.kaption.sink.jobs.JobsConfig;
import io.kaption.sink.output.OutputsConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the result sink.
 *
 * @param host         interface the HTTP server binds to
 * @param port         HTTP port; 0 picks a free one
 * @param eventWait    how long an SSE stream waits without any event of its request before it ends with a timeout
 *                     (the request may still be queued)
 * @param heartbeat    interval of the {@code : keep-alive} comments that keep idle streams open through proxies
 * @param events       how the request event hub reads Kafka
 * @param outputs      whether and how results with an {@code output_uri} are written to S3 (its S3 settings also
 *                     serve the job shard writer)
 * @param jobs         whether and how bucket jobs' progress is tracked and their outputs written
 * @param membership   how the sink's consumer groups ({@code kaption-sink-outputs}, {@code kaption-sink-job-shards},
 *                     the progress application {@code kaption-job-progress}) hold their membership:
 *                     {@value #SESSION_TIMEOUT_MILLIS}, {@value #INSTANCE_ID}
 * @param access       API keys and their rate limit on the event and result routes ({@code KAPTION_API_KEYS},
 *                     {@code KAPTION_API_RATE_LIMIT}, the ingest service's variables)
 */
public record ResultSinkConfig(String host, int port, Duration eventWait, Duration heartbeat,
                               RequestEventHub.Config events, OutputsConfig outputs, JobsConfig jobs,
                               ApiAccess access, GroupMembership membership) {

    public static final String SESSION_TIMEOUT_MILLIS = "KAPTION_SINK_SESSION_TIMEOUT_MS";
    public static final String INSTANCE_ID = "KAPTION_SINK_INSTANCE_ID";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 3002;
    public static final Duration DEFAULT_EVENT_WAIT = Duration.ofSeconds(300);
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

    public ResultSinkConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(jobs, "jobs");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(membership, "membership");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        }
        requirePositive("eventWait", eventWait);
        requirePositive("heartbeat", heartbeat);
    }

    /** Without API keys, the default group membership. */
    public ResultSinkConfig(String host, int port, Duration eventWait, Duration heartbeat,
                            RequestEventHub.Config events, OutputsConfig outputs, JobsConfig jobs) {
        this(host, port, eventWait, heartbeat, events, outputs, jobs, ApiAccess.open());
    }

    /** The default group membership: session timeout {@link GroupMembership#DEFAULT_SESSION_TIMEOUT}, no static id. */
    public ResultSinkConfig(String host, int port, Duration eventWait, Duration heartbeat,
                            RequestEventHub.Config events, OutputsConfig outputs, JobsConfig jobs, ApiAccess access) {
        this(host, port, eventWait, heartbeat, events, outputs, jobs, access,
                GroupMembership.of(GroupMembership.DEFAULT_SESSION_TIMEOUT, Optional.empty()));
    }

    /**
     * Port 3002 on every interface, the default waits, the hub's defaults for {@code bootstrapServers},
     * outputs written to AWS's S3 ({@link OutputsConfig#defaults()}), and no bucket jobs ({@link JobsConfig#defaults}).
     */
    public static ResultSinkConfig defaults(String bootstrapServers) {
        return new ResultSinkConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_EVENT_WAIT, DEFAULT_HEARTBEAT,
                RequestEventHub.Config.defaults(bootstrapServers), OutputsConfig.defaults(),
                JobsConfig.defaults(bootstrapServers));
    }

    public static ResultSinkConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * {@code KAPTION_SINK_HOST}, {@code KAPTION_SINK_PORT}, {@code KAPTION_SINK_WAIT_SECONDS},
     * {@code KAPTION_SINK_HEARTBEAT_SECONDS}, the hub's variables (see {@link RequestEventHub.Config}) and the
     * output writer's (see {@link OutputsConfig#fromEnvironment(Map)}) and the bucket jobs' ({@link JobsConfig}).
     */
    public static ResultSinkConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        return new ResultSinkConfig(
                env.string("KAPTION_SINK_HOST", DEFAULT_HOST),
                (int) env.integerIn("KAPTION_SINK_PORT", DEFAULT_PORT, 0, 65535),
                Duration.ofSeconds(env.integerIn("KAPTION_SINK_WAIT_SECONDS", DEFAULT_EVENT_WAIT.toSeconds(), 1,
                        Integer.MAX_VALUE)),
                Duration.ofSeconds(env.integerIn("KAPTION_SINK_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT.toSeconds(), 1,
                        Integer.MAX_VALUE)),
                RequestEventHub.Config.fromEnvironment(variables),
                OutputsConfig.fromEnvironment(variables),
                JobsConfig.fromEnvironment(variables),
                ApiAccess.fromEnvironment(variables),
                GroupMembership.fromEnvironment(env, SESSION_TIMEOUT_MILLIS, INSTANCE_ID));
    }

    public ResultSinkConfig withHost(String newHost) {
        return new ResultSinkConfig(newHost, port, eventWait, heartbeat, events, outputs, jobs, access, membership);
    }

    public ResultSinkConfig withPort(int newPort) {
        return new ResultSinkConfig(host, newPort, eventWait, heartbeat, events, outputs, jobs, access, membership);
    }

    public ResultSinkConfig withEventWait(Duration wait) {
        return new ResultSinkConfig(host, port, wait, heartbeat, events, outputs, jobs, access, membership);
    }

    public ResultSinkConfig withHeartbeat(Duration interval) {
        return new ResultSinkConfig(host, port, eventWait, interval, events, outputs, jobs, access, membership);
    }

    public ResultSinkConfig withEvents(RequestEventHub.Config hubConfig) {
        return new ResultSinkConfig(host, port, eventWait, heartbeat, hubConfig, outputs, jobs, access, membership);
    }

    public ResultSinkConfig withOutputs(OutputsConfig outputsConfig) {
        return new ResultSinkConfig(host, port, eventWait, heartbeat, events, outputsConfig, jobs, access, membership);
    }

    public ResultSinkConfig withJobs(JobsConfig jobsConfig) {
        return new ResultSinkConfig(host, port, eventWait, heartbeat, events, outputs, jobsConfig, access, membership);
    }

    public ResultSinkConfig withMembership(GroupMembership groupMembership) {
        return new ResultSinkConfig(host, port, eventWait, heartbeat, events, outputs, jobs, access, groupMembership);
    }

    public ResultSinkConfig withAccess(ApiAccess apiAccess) {
        return new ResultSinkConfig(host, port, eventWait, heartbeat, events, outputs, jobs, apiAccess, membership);
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
