package io.kaption.schemas.topics;

import io.kaption.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the contract's topics that do not exist yet, with explicit partition counts and replication, so that no
 * topic is ever left to a broker's auto-creation defaults. Topics that exist are left exactly as they are (an
 * operator may have added partitions on purpose); a differing partition count is logged.
 *
 * <p>Safe to run from every replica at start: a topic another replica created meanwhile counts as present.
 */
public final class TopicProvisioner {

    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    /**
     * @param partitions        partitions of every topic created
     * @param replicationFactor replicas of every topic created
     */
    public record Settings(int partitions, short replicationFactor) {

        public static final String PARTITIONS = "KAPTION_TOPIC_PARTITIONS";
        public static final String REPLICATION = "KAPTION_TOPIC_REPLICATION";
        public static final int DEFAULT_PARTITIONS = 6;
        /** One broker locally; production clusters use 3. */
        public static final short DEFAULT_REPLICATION = 1;

        public Settings {
            if (partitions < 1) {
                throw new IllegalArgumentException(PARTITIONS + " must be at least 1, got " + partitions);
            }
            if (replicationFactor < 1) {
                throw new IllegalArgumentException(REPLICATION + " must be at least 1, got " + replicationFactor);
            }
        }

        public static Settings fromEnvironment() {
            return fromEnvironment(System.getenv());
        }

        /** Reads {@value #PARTITIONS} and {@value #REPLICATION}; a malformed value fails with the variable's name. */
        public static Settings fromEnvironment(Map<String, String> env) {
            int partitions = integer(env, PARTITIONS, DEFAULT_PARTITIONS);
            int replication = integer(env, REPLICATION, DEFAULT_REPLICATION);
            if (replication > Short.MAX_VALUE) {
                throw new IllegalArgumentException(REPLICATION + " is too large: " + replication);
            }
            return new Settings(partitions, (short) replication);
        }

        private static int integer(Map<String, String> env, String name, int fallback) {
            String value = env.get(name);
            if (value == null || value.isBlank()) {
                return fallback;
            }
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
            }
        }
    }

    /**
     * {@code max.message.bytes} of the {@code .dlq} topics this class creates, and the {@code max.request.size} a
     * producer that dead-letters needs: a record the source topic accepted (up to the broker's 1 MiB default) plus
     * the reason headers must fit, or a poison record near the limit could not be parked and would stop every
     * consumer it is redelivered to.
     */
    public static final int DEAD_LETTER_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

    private static final Duration LEADER_WAIT = Duration.ofSeconds(30);

    private final Admin admin;
    private final Settings settings;

    /** Does not own {@code admin}. */
    public TopicProvisioner(Admin admin, Settings settings) {
        this.admin = admin;
        this.settings = settings;
    }

    /**
     * What a worker pool of {@code consumerGroup} reads and writes: {@code kaption.requests.<group>} and its
     * {@code .dlq}, {@code kaption.tokens}, {@code kaption.results}, {@code kaption.cancellations}.
     */
    public static List<String> streamingTopics(String consumerGroup) {
        String requests = Topics.requests(consumerGroup);
        return List.of(requests, Topics.dlq(requests), Topics.TOKENS, Topics.RESULTS, Topics.CANCELLATIONS);
    }

    /**
     * What a worker pool of {@code consumerGroup} reads besides {@link #streamingTopics}: its bulk lane
     * {@code kaption.bulk.<group>} and that lane's {@code .dlq}.
     */
    public static List<String> bulkTopics(String consumerGroup) {
        String bulk = Topics.bulkRequests(consumerGroup);
        return List.of(bulk, Topics.dlq(bulk));
    }

    /**
     * The bucket-job topics: {@code kaption.jobs}, {@code kaption.job-plans} and {@code kaption.job-status}
     * (compacted: the latest value per job is what counts), {@code kaption.job-records}, {@code kaption.job-outputs}.
     * The topics a job's records and cancellations use come from {@link #streamingTopics} and {@link #bulkTopics}.
     */
    public static List<String> jobTopics() {
        return List.of(Topics.JOBS, Topics.JOB_PLANS, Topics.JOB_STATUS, Topics.JOB_RECORDS, Topics.JOB_OUTPUTS);
    }

    /** {@code kaption.workers}: the workers' announcements (one partition is plenty: a record per worker and interval). */
    public static List<String> workerTopics() {
        return List.of(Topics.WORKERS);
    }

    private static final Set<String> COMPACTED = Set.of(Topics.JOBS, Topics.JOB_PLANS, Topics.JOB_STATUS);

    /**
     * Creates those of {@code topics} that do not exist, and returns once each created one has a leader for every
     * partition (so that the caller can produce to it at once).
     *
     * @return the topics this call created (empty when all existed)
     * @throws KafkaException when the cluster cannot be asked or refuses a creation (e.g. a replication factor
     *                        above the number of brokers)
     */
    public Set<String> ensure(Collection<String> topics) {
        Set<String> existing = await(admin.listTopics().names());
        Map<String, NewTopic> missing = new LinkedHashMap<>();
        List<String> present = new ArrayList<>();
        for (String topic : new LinkedHashSet<>(topics)) {
            if (existing.contains(topic)) {
                present.add(topic);
            } else {
                NewTopic newTopic = new NewTopic(topic, Optional.of(settings.partitions()),
                        Optional.of(settings.replicationFactor()));
                if (topic.endsWith(Topics.DLQ_SUFFIX)) {
                    newTopic.configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                            Integer.toString(DEAD_LETTER_MAX_MESSAGE_BYTES)));
                } else if (topic.equals(Topics.WORKERS)) {
                    // Latest announcement per worker; a crashed worker's last one goes with its segment after a day.
                    newTopic.configs(Map.of(
                            TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                            TopicConfig.RETENTION_MS_CONFIG, Long.toString(Duration.ofDays(1).toMillis()),
                            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(Duration.ofHours(1).toMillis())));
                } else if (COMPACTED.contains(topic)) {
                    newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                }
                missing.put(topic, newTopic);
            }
        }
        Set<String> created = new LinkedHashSet<>();
        if (!missing.isEmpty()) {
            Map<String, KafkaFuture<Void>> results = admin.createTopics(missing.values()).values();
            for (String topic : missing.keySet()) {
                try {
                    await(results.get(topic));
                    created.add(topic);
                    LOG.info("created topic {} with {} partitions, replication {}", topic, settings.partitions(),
                            settings.replicationFactor());
                } catch (TopicExistsException raced) {
                    present.add(topic); // another replica created it meanwhile
                }
            }
        }
        awaitLeaders(created);
        if (!present.isEmpty()) {
            Map<String, TopicDescription> described = await(admin.describeTopics(present).allTopicNames());
            described.forEach((topic, description) -> {
                int partitions = description.partitions().size();
                if (partitions != settings.partitions()) {
                    LOG.info("topic {} exists with {} partitions ({} would be created); left as it is", topic,
                            partitions, settings.partitions());
                }
            });
        }
        return created;
    }

    /**
     * Returns once every partition of {@code topics} has a leader. A producer writing to a partition whose leader is
     * not elected yet gets NOT_LEADER_OR_FOLLOWER, and an idempotent one (every Kaption producer) can then be left
     * with OUT_OF_ORDER_SEQUENCE_NUMBER for its retried batches: a job planner took that as fatal on a new group's
     * bulk lane.
     */
    private void awaitLeaders(Set<String> topics) {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> described = await(admin.describeTopics(topics).allTopicNames());
                if (described.values().stream().allMatch(description -> description.partitions().stream()
                        .allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty()))) {
                    return;
                }
            } catch (UnknownTopicOrPartitionException notYetKnown) {
                // the broker's metadata has not caught up with the controller yet
            }
            if (System.nanoTime() > deadline) {
                throw new KafkaException("no leader elected within " + LEADER_WAIT.toSeconds() + " s for " + topics);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
        }
    }

    /** The admin call's value; Kafka's own exception (e.g. {@link TopicExistsException}) is rethrown unwrapped. */
    private static <T> T await(KafkaFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KafkaException kafka) {
                throw kafka;
            }
            throw new KafkaException("topic provisioning failed", e.getCause());
        }
    }
}
