package io.kaption.ingest.publish;

import io.kaption.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;

/**
 * Whether workers consume each worker pool's requests, as the group coordinator describes the workers' consumer
 * groups ({@code kaption-worker-<group>}): the groups are listed and described at most once per {@link #TTL}, however
 * often readiness is probed. The default group is always reported, also before any worker joined it.
 *
 * <p>Blocking: call from a worker thread. Thread-safe.
 */
public final class WorkerPools {

    static final Duration TTL = Duration.ofSeconds(2);

    /**
     * One pool as last described.
     *
     * @param members   workers in the group
     * @param consuming workers with partitions of the pool's request topic or bulk lane assigned
     */
    public record Pool(int members, int consuming) {
    }

    private final Admin admin;
    private final Duration timeout;
    private final Clock clock;
    private Map<String, Pool> last;
    private Instant expires = Instant.MIN;

    public WorkerPools(Admin admin, Duration timeout, Clock clock) {
        this.admin = admin;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** Every worker pool by consumer group (sorted); throws when Kafka does not answer within the timeout. */
    public synchronized Map<String, Pool> pools() throws Exception {
        Instant now = clock.instant();
        if (last == null || !now.isBefore(expires)) {
            last = lookUp();
            expires = now.plus(TTL);
        }
        return last;
    }

    private Map<String, Pool> lookUp() throws Exception {
        long timeoutMs = timeout.toMillis();
        Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        List<String> workerGroups = groups.stream().map(GroupListing::groupId)
                .filter(id -> id.startsWith(Topics.WORKER_GROUP_PREFIX)
                        && Topics.isValidConsumerGroup(id.substring(Topics.WORKER_GROUP_PREFIX.length())))
                .toList();
        Map<String, Pool> pools = new TreeMap<>();
        pools.put(Topics.DEFAULT_CONSUMER_GROUP, new Pool(0, 0));
        if (workerGroups.isEmpty()) {
            return pools;
        }
        Map<String, ConsumerGroupDescription> descriptions = admin.describeConsumerGroups(workerGroups).all()
                .get(timeoutMs, TimeUnit.MILLISECONDS);
        for (ConsumerGroupDescription description : descriptions.values()) {
            String group = description.groupId().substring(Topics.WORKER_GROUP_PREFIX.length());
            Set<String> topics = Set.of(Topics.requests(group), Topics.bulkRequests(group));
            int consuming = (int) description.members().stream().filter(member -> consumes(member, topics)).count();
            pools.put(group, new Pool(description.members().size(), consuming));
        }
        return pools;
    }

    private static boolean consumes(MemberDescription member, Set<String> topics) {
        return member.assignment().topicPartitions().stream().anyMatch(partition -> topics.contains(partition.topic()));
    }
}
