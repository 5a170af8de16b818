package io.kaption.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.localstack.junit.ChildJvm;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.consume.RequestConsumer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stall after a worker process is killed with SIGKILL (no shutdown hook, no leaving the group): requests that
 * land on its partitions right after the kill are consumed again within 10 s — by the other worker once the dead
 * member's session times out, or by the worker restarted under the same static id ({@code KAPTION_WORKER_INSTANCE_ID}).
 * The time is measured by the workers themselves: each request's {@code created_at} is the instant of the kill, so
 * its result's {@code queued_ms} is the time from the kill until a worker took it.
 */
@ExtendWith(SharedInfrastructure.class)
class WorkerCrashIT {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerCrashIT.class);
    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final String VICTIM_ID = "victim";

    @TempDir
    Path dir;

    @Test
    void aKilledWorkersPartitionsAreConsumedAgainWithinTenSeconds() throws Exception {
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        String group = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        Path model = DemoCheckpoint.write(Files.createDirectories(dir.resolve("model")));
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("KAPTION_MODEL", model.toString());
        env.put("TAKEOFF_CONSUMER_GROUP", group);
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "4");
        env.put("KAPTION_WORKER_HOST", "127.0.0.1");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("KAPTION_WORKER_INSTANCE_ID", VICTIM_ID);
        Path log = dir.resolve("victim.log");
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");

        // The survivor is a dynamic member in this JVM; the victim a static member in a child JVM.
        ChildJvm victim = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");
        try (GpuWorker survivor = GpuWorker.start(WorkerConfig.builder().consumerGroups(group)
                     .kafkaBootstrapServers(bootstrap).model(model).batchDuration(Duration.ofMillis(20))
                     .topics(new TopicProvisioner.Settings(4, (short) 1)).build());
             Admin admin = KafkaTopics.admin(bootstrap);
             EventCollector events = EventCollector.start(bootstrap);
             KafkaProducer<String, GenerationRequest> requests = new KafkaProducer<>(producerConfig,
                     new StringSerializer(), new ContractSerializer<>(ContractCodec.REQUESTS, producerConfig))) {
            // 1. Killed for good: the survivor takes the partitions once the victim's session times out.
            List<TopicPartition> victims = awaitVictimPartitions(admin, group, log);
            victim.kill();
            Duration takeover = stall(requests, events, group, victims, Instant.now());
            LOG.info("killed, not restarted: its partitions {} consumed again after {} ms", victims,
                    takeover.toMillis());
            assertThat(takeover).as("partitions of the killed worker consumed again by the survivor")
                    .isLessThanOrEqualTo(BOUND);

            // 2. Killed and restarted at once under the same id: it takes its partitions back (or the survivor does,
            // if the restart takes longer than the session timeout).
            victim = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");
            victims = awaitVictimPartitions(admin, group, log);
            victim.kill();
            Instant killed = Instant.now();
            victim = ChildJvm.start(WorkerMain.class, env, log, "-Xmx384m");
            Duration rejoin = stall(requests, events, group, victims, killed);
            LOG.info("killed and restarted: its partitions {} consumed again after {} ms", victims, rejoin.toMillis());
            assertThat(rejoin).as("partitions of the killed and restarted worker consumed again")
                    .isLessThanOrEqualTo(BOUND);
        } finally {
            victim.close();
        }
    }

    /** Waits until both workers have request partitions; returns the victim's. */
    private static List<TopicPartition> awaitVictimPartitions(Admin admin, String group, Path log) {
        List<List<TopicPartition>> victims = new ArrayList<>();
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                .alias("both workers consuming (victim's log: " + log + ")").until(() -> {
                    ConsumerGroupDescription description = admin
                            .describeConsumerGroups(List.of(RequestConsumer.groupId(group))).all().get()
                            .get(RequestConsumer.groupId(group));
                    Optional<List<TopicPartition>> victim = requestPartitions(description, group, true);
                    Optional<List<TopicPartition>> survivor = requestPartitions(description, group, false);
                    if (victim.isPresent() && survivor.isPresent()) {
                        victims.add(victim.get());
                        return true;
                    }
                    return false;
                });
        return victims.get(0);
    }

    private static Optional<List<TopicPartition>> requestPartitions(ConsumerGroupDescription description,
            String group, boolean victim) {
        return description.members().stream()
                .filter(member -> member.groupInstanceId().equals(Optional.of(VICTIM_ID)) == victim)
                .map(MemberDescription::assignment)
                .map(assignment -> assignment.topicPartitions().stream()
                        .filter(partition -> partition.topic().equals(Topics.requests(group))).sorted(
                                (a, b) -> Integer.compare(a.partition(), b.partition())).toList())
                .filter(partitions -> !partitions.isEmpty())
                .findFirst();
    }

    /**
     * Publishes one request to each of {@code partitions}, created at {@code since}; returns the longest time from
     * {@code since} until a worker took one (its result's {@code queued_ms}).
     */
    private static Duration stall(KafkaProducer<String, GenerationRequest> requests, EventCollector events,
            String group, List<TopicPartition> partitions, Instant since) throws Exception {
        List<String> ids = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            String id = "after-kill-" + UUID.randomUUID();
            requests.send(new ProducerRecord<>(Topics.requests(group), partition.partition(), id,
                    GenerationRequest.builder(id, Texts.of("Hello?"), null).maxNewTokens(2).createdAt(since)
                            .build())).get();
            ids.add(id);
        }
        long longest = 0;
        for (String id : ids) {
            GenerationResult result = events.awaitResult(id).value();
            assertThat(result.error()).isNull();
            longest = Math.max(longest, result.queuedMs());
        }
        return Duration.ofMillis(longest);
    }
}
