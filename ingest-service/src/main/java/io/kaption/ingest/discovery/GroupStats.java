package io.kaption.ingest.discovery;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What Kafka says about consumer groups: the groups that exist (a topic {@code kaption.requests.<group>}), and for
 * each its two lanes' partitions with their end offsets, the workers' committed offsets and the lag between them,
 * the depth of each lane's {@code .dlq} (records it holds now), and the members of the workers' Kafka consumer group
 * {@code kaption-worker-<group>}. All groups asked about are looked up in one batch of admin calls.
 *
 * <p>Blocking: call from a worker thread. 503 {@code kafka_unavailable} when Kafka does not answer in time.
 */
public final class GroupStats {

    /** One lane of a group: its topic's partitions, their lag, and its dead-letter topic's depth. */
    public record Lane(String name, String topic, List<PartitionLag> partitions, String dlqTopic, long dlqDepth) {
        public long lag() {
            return partitions.stream().mapToLong(PartitionLag::lag).sum();
        }
    }

    /** @param committedOffset -1 when the workers have committed nothing on this partition yet */
    public record PartitionLag(int partition, long endOffset, long committedOffset, long lag) {
    }

    /** @param state the Kafka consumer group's state ({@code Stable}, {@code Empty}, ... or {@code Dead}) */
    public record Group(String group, String kafkaGroupId, String state, int members, List<Lane> lanes) {
        public long lag() {
            return lanes.stream().mapToLong(Lane::lag).sum();
        }

        public long dlqDepth() {
            return lanes.stream().mapToLong(Lane::dlqDepth).sum();
        }
    }

    private final Admin admin;
    private final Duration timeout;

    public GroupStats(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** The groups that have a request topic, sorted. */
    public Set<String> existingGroups() {
        return await(admin.listTopics().names()).stream()
                .filter(topic -> topic.startsWith(Topics.REQUESTS_PREFIX) && !topic.endsWith(Topics.DLQ_SUFFIX))
                .map(topic -> topic.substring(Topics.REQUESTS_PREFIX.length()))
                .filter(Topics::isValidConsumerGroup)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The stats of {@code groups}, in their order; a lane whose topics do not exist has no partitions. */
    public List<Group> describe(Collection<String> groups) {
        if (groups.isEmpty()) {
            return List.of();
        }
        Set<String> existingTopics = await(admin.listTopics().names());
        List<String> topics = new ArrayList<>();
        for (String group : groups) {
            for (String lane : List.of(Topics.requests(group), Topics.bulkRequests(group))) {
                topics.add(lane);
                topics.add(Topics.dlq(lane));
            }
        }
        topics.removeIf(topic -> !existingTopics.contains(topic));
        Map<String, TopicDescription> described = topics.isEmpty() ? Map.of()
                : await(admin.describeTopics(topics).allTopicNames());
        List<TopicPartition> partitions = described.values().stream()
                .flatMap(description -> description.partitions().stream()
                        .map(info -> new TopicPartition(description.name(), info.partition())))
                .toList();
        Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());

        Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
        groups.forEach(group -> specs.put(kafkaGroupId(group), new ListConsumerGroupOffsetsSpec()));
        var committedResult = admin.listConsumerGroupOffsets(specs);
        Map<String, ConsumerGroupDescription> descriptions = new HashMap<>();
        admin.describeConsumerGroups(specs.keySet()).describedGroups().forEach((id, future) -> {
            try {
                descriptions.put(id, await(future));
            } catch (GroupIdNotFoundException e) {
                // no worker ever joined: shown as Dead with no members
            }
        });

        List<Group> result = new ArrayList<>();
        for (String group : groups) {
            String groupId = kafkaGroupId(group);
            Map<TopicPartition, OffsetAndMetadata> committed;
            try {
                committed = await(committedResult.partitionsToOffsetAndMetadata(groupId));
            } catch (GroupIdNotFoundException e) {
                committed = Map.of();
            }
            List<Lane> lanes = new ArrayList<>();
            for (Map.Entry<String, String> lane : List.of(Map.entry("interactive", Topics.requests(group)),
                    Map.entry("bulk", Topics.bulkRequests(group)))) {
                String topic = lane.getValue();
                List<PartitionLag> lags = new ArrayList<>();
                for (TopicPartition partition : partitions.stream().filter(p -> p.topic().equals(topic))
                        .sorted(Comparator.comparingInt(TopicPartition::partition)).toList()) {
                    long end = ends.getOrDefault(partition, 0L);
                    OffsetAndMetadata offset = committed.get(partition);
                    long position = offset == null ? starts.getOrDefault(partition, 0L) : offset.offset();
                    lags.add(new PartitionLag(partition.partition(), end, offset == null ? -1 : offset.offset(),
                            Math.max(0, end - position)));
                }
                String dlq = Topics.dlq(topic);
                long depth = partitions.stream().filter(p -> p.topic().equals(dlq))
                        .mapToLong(p -> ends.getOrDefault(p, 0L) - starts.getOrDefault(p, 0L)).sum();
                lanes.add(new Lane(lane.getKey(), topic, List.copyOf(lags), dlq, depth));
            }
            ConsumerGroupDescription description = descriptions.get(groupId);
            result.add(new Group(group, groupId,
                    description == null ? "Dead" : description.groupState().toString(),
                    description == null ? 0 : description.members().size(), List.copyOf(lanes)));
        }
        return result;
    }

    /** The Kafka consumer group of a Kaption group's workers (as the worker names it). */
    public static String kafkaGroupId(String group) {
        return "kaption-worker-" + group;
    }

    private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        ListOffsetsResult result = admin.listOffsets(partitions.stream()
                .collect(Collectors.toMap(Function.identity(), p -> spec)));
        return await(result.all()).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, entry -> entry.getValue().offset()));
    }

    private <T> T await(KafkaFuture<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException notFound) {
                throw notFound;
            }
            throw unavailable(e.getCause());
        } catch (TimeoutException e) {
            throw unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        }
    }

    private static ApiException unavailable(Throwable cause) {
        return new ApiException(503, "kafka_unavailable", "Kafka did not answer in time: "
                + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }
}
