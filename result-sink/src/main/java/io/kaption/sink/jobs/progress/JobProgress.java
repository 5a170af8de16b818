package io.kaption.sink.jobs.progress;

import io.kaption.kit.kafka.GroupMembership;
import io.kaption.schemas.topics.TopicProvisioner;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running job progress application ({@link JobProgressTopology} in Kafka Streams, exactly-once v2). A replica of
 * the sink runs one; replicas share the jobs through the application's consumer group.
 */
public final class JobProgress implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobProgress.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;

    private JobProgress(KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * Creates the job topics, the inputs and their dead-letter topics where missing, then starts the application;
     * returns without waiting for it to be assigned its tasks.
     */
    public static JobProgress start(JobProgressConfig config) {
        return start(config, GroupMembership.of(GroupMembership.DEFAULT_SESSION_TIMEOUT, Optional.empty()));
    }

    /**
     * Like the above, its main consumer holding the group membership as {@code membership} says (session timeout,
     * static id); see {@link JobProgressConfig#streamsProperties(GroupMembership)}.
     */
    public static JobProgress start(JobProgressConfig config, GroupMembership membership) {
        try (Admin admin = Admin.create(config.kafka().admin(Map.of()))) {
            new TopicProvisioner(admin, config.topicSettings()).ensure(config.topics().all());
        }
        KafkaStreams streams = new KafkaStreams(JobProgressTopology.build(config.topics()),
                config.streamsProperties(membership));
        streams.setUncaughtExceptionHandler(error -> {
            // A failure Kafka Streams does not recover from by itself: stop, so that health reports it.
            log.error("job progress stopped after an error", error);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> log.info("job progress {} -> {}", before, now));
        streams.start();
        log.info("job progress started (application {}, state in {})", config.applicationId(), config.stateDir());
        return new JobProgress(streams);
    }

    /** True while the application runs or rebalances; false once it stopped, by {@link #close} or an error. */
    public boolean isRunning() {
        return streams.state().isRunningOrRebalancing();
    }

    /** The application's Kafka Streams metrics (its clients' too), to bind to a registry. */
    public KafkaStreamsMetrics metrics() {
        return new KafkaStreamsMetrics(streams);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Commits what was processed and leaves the consumer group, so another replica takes the jobs over at once. */
    @Override
    public void close() {
        streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        log.info("job progress stopped");
    }
}
