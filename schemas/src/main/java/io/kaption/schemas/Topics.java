package io.kaption.schemas;

import java.util.regex.Pattern;

/** Names of the Kafka topics of the contract. See schemas/README.md for what each one carries. */
public final class Topics {

    /** Prefix of the per-consumer-group request topics: {@code kaption.requests.<consumer_group>}. */
    public static final String REQUESTS_PREFIX = "kaption.requests.";
    /**
     * Prefix of the per-consumer-group bulk lanes: {@code kaption.bulk.<consumer_group>}. Bucket jobs publish their
     * requests there; workers serve their group's request topic first and fill spare batch room from its bulk lane.
     * Shorter than {@link #REQUESTS_PREFIX}, so every legal consumer group makes a legal bulk topic name too.
     */
    public static final String BULK_PREFIX = "kaption.bulk.";
    public static final String TOKENS = "kaption.tokens";
    public static final String RESULTS = "kaption.results";
    public static final String CANCELLATIONS = "kaption.cancellations";
    /** Bucket job definitions, key job_id, compacted. */
    public static final String JOBS = "kaption.jobs";
    /** Planning checkpoints of bucket jobs, key job_id, compacted; written in the transactions of their requests. */
    public static final String JOB_PLANS = "kaption.job-plans";
    /** Deduplicated, numbered result and error lines of bucket jobs and their end marker, key job_id. */
    public static final String JOB_RECORDS = "kaption.job-records";
    /** "The outputs of this job are written" events of the shard writer, key job_id. */
    public static final String JOB_OUTPUTS = "kaption.job-outputs";
    /** Current status of every bucket job, key job_id, compacted. */
    public static final String JOB_STATUS = "kaption.job-status";
    /** Announcements of the running GPU workers, key worker_id, compacted (and deleted after a day). */
    public static final String WORKERS = "kaption.workers";
    public static final String DLQ_SUFFIX = ".dlq";

    /** The consumer group every request goes to unless it names another one. */
    public static final String DEFAULT_CONSUMER_GROUP = "primary";

    // Kafka accepts [a-zA-Z0-9._-] and at most 249 characters for a topic name; the group is embedded after the
    // prefix, and the ".dlq" topic derived from it must stay legal too.
    private static final Pattern LEGAL_TOPIC_CHARACTERS = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final int MAX_TOPIC_LENGTH = 249;
    public static final int MAX_CONSUMER_GROUP_LENGTH = MAX_TOPIC_LENGTH - REQUESTS_PREFIX.length() - DLQ_SUFFIX.length();

    private Topics() {}

    /** {@code kaption.requests.<consumerGroup>}; rejects a group that would not make a legal Kafka topic name. */
    public static String requests(String consumerGroup) {
        return REQUESTS_PREFIX + requireValidConsumerGroup(consumerGroup);
    }

    /** {@code kaption.bulk.<consumerGroup>}; rejects a group that would not make a legal Kafka topic name. */
    public static String bulkRequests(String consumerGroup) {
        return BULK_PREFIX + requireValidConsumerGroup(consumerGroup);
    }

    /** {@code <topic>.dlq}: where records of {@code topic} that cannot be processed are parked with their reason. */
    public static String dlq(String topic) {
        if (topic == null || !LEGAL_TOPIC_CHARACTERS.matcher(topic).matches()
                || topic.length() + DLQ_SUFFIX.length() > MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("not a Kafka topic name that can take a .dlq suffix: " + topic);
        }
        return topic + DLQ_SUFFIX;
    }

    public static boolean isValidConsumerGroup(String consumerGroup) {
        return consumerGroup != null
                && consumerGroup.length() <= MAX_CONSUMER_GROUP_LENGTH
                && LEGAL_TOPIC_CHARACTERS.matcher(consumerGroup).matches();
    }

    public static String requireValidConsumerGroup(String consumerGroup) {
        if (!isValidConsumerGroup(consumerGroup)) {
            throw new IllegalArgumentException("consumer_group must be 1 to " + MAX_CONSUMER_GROUP_LENGTH
                    + " characters of [a-zA-Z0-9._-] (it becomes part of a Kafka topic name), got: " + consumerGroup);
        }
        return consumerGroup;
    }
}
