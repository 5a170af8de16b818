package io.kaption.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.sink.jobs.progress.JobProgressConfig;
import io.kaption.sink.jobs.progress.JobProgressTopology;
import io.kaption.sink.jobs.progress.ProgressTopics;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Strimzi Kafka cluster and its KafkaTopics: a topic for every topic the services use (names derived from the
 * code), with the partitions, replication and settings the services would create it with, replicated three times
 * and writable with one broker down.
 */
class KafkaTopicsTest {

    /** Created compacted by TopicProvisioner (its COMPACTED set): the latest value per job counts. */
    private static final Set<String> COMPACTED = Set.of(Topics.JOBS, Topics.JOB_PLANS, Topics.JOB_STATUS);
    private static final String APPLICATION_ID = JobProgressConfig.APPLICATION_ID;

    static List<String> overlays() {
        return Overlay.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void the_cluster_is_three_kraft_nodes_with_replication_three_and_min_isr_two(String name) {
        Overlay overlay = Overlay.rendered(name);
        assertThat(overlay.all("Kafka")).hasSize(1);
        JsonNode kafka = overlay.all("Kafka").get(0);
        String cluster = Pods.name(kafka);

        List<JsonNode> pools = overlay.all("KafkaNodePool").stream()
                .filter(pool -> cluster.equals(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText()))
                .toList();
        assertThat(pools).as("node pools of cluster %s", cluster).isNotEmpty().hasSameSizeAs(overlay.all("KafkaNodePool"));
        assertThat(nodes(pools, "broker")).as("brokers").isEqualTo(3);
        assertThat(nodes(pools, "controller")).as("KRaft controllers (an odd quorum)").isEqualTo(3);

        JsonNode config = kafka.path("spec").path("kafka").path("config");
        assertThat(config.path("default.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("min.insync.replicas").asInt()).isEqualTo(2);
        assertThat(config.path("offsets.topic.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("transaction.state.log.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("transaction.state.log.min.isr").asInt()).isEqualTo(2);
        assertThat(kafka.path("spec").path("entityOperator").has("topicOperator"))
                .as("the Topic Operator reconciles the KafkaTopics").isTrue();

        // Every service reaches the cluster through its bootstrap Service on a plain listener.
        Set<String> bootstrap = StreamSupport.stream(kafka.path("spec").path("kafka").path("listeners").spliterator(), false)
                .filter(listener -> !listener.path("tls").asBoolean(false))
                .map(listener -> cluster + "-kafka-bootstrap:" + listener.path("port").asInt())
                .collect(Collectors.toSet());
        Kaption kaption = Kaption.in(overlay);
        assertThat(kaption.ingestConfig().kafkaBootstrapServers()).isIn(bootstrap);
        assertThat(kaption.workerConfig().kafkaBootstrapServers()).isIn(bootstrap);
        assertThat(kaption.sinkConfig().events().bootstrapServers()).isIn(bootstrap);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_topic_the_services_use_has_a_kafka_topic_and_no_other(String name) {
        Overlay overlay = Overlay.rendered(name);
        Kaption kaption = Kaption.in(overlay);

        assertThat(kafkaTopics(overlay).keySet())
                .containsExactlyInAnyOrderElementsOf(expectedTopics(kaption.workerConfig().consumerGroups()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void topics_are_created_as_the_services_would_create_them_with_three_replicas_and_min_isr_two(String name) {
        Overlay overlay = Overlay.rendered(name);
        Kaption kaption = Kaption.in(overlay);
        String cluster = Pods.name(overlay.all("Kafka").get(0));
        // What each service would create a missing topic with (KAPTION_TOPIC_PARTITIONS / _REPLICATION): all agree.
        TopicProvisioner.Settings settings = TopicProvisioner.Settings.fromEnvironment(kaption.ingest().env());
        for (Kaption.Service service : kaption.all()) {
            assertThat(TopicProvisioner.Settings.fromEnvironment(service.env())).isEqualTo(settings);
        }
        assertThat(settings.replicationFactor()).isEqualTo((short) 3);

        Set<String> internal = streamsInternalTopics();
        for (Map.Entry<String, JsonNode> entry : kafkaTopics(overlay).entrySet()) {
            String topic = entry.getKey();
            JsonNode resource = entry.getValue();
            JsonNode spec = resource.path("spec");
            JsonNode config = spec.path("config");
            assertThat(resource.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .as("%s: cluster label", topic).isEqualTo(cluster);
            assertThat(spec.path("replicas").asInt()).as("%s: replicas", topic).isEqualTo(settings.replicationFactor());
            assertThat(config.path("min.insync.replicas").asInt()).as("%s: min.insync.replicas", topic).isEqualTo(2);
            if (!internal.contains(topic)) {
                assertThat(spec.path("partitions").asInt()).as("%s: partitions", topic).isEqualTo(settings.partitions());
            }
            if (topic.endsWith(Topics.DLQ_SUFFIX)) {
                assertThat(config.path("max.message.bytes").asInt()).as("%s: max.message.bytes", topic)
                        .isEqualTo(TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES);
            }
            boolean compacted = COMPACTED.contains(topic) || (internal.contains(topic) && topic.endsWith("-changelog"));
            assertThat(config.path("cleanup.policy").asText("delete")).as("%s: cleanup.policy", topic)
                    .isEqualTo(compacted ? "compact" : "delete");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void kafka_streams_internal_topics_have_as_many_partitions_as_the_topology_inputs(String name) {
        Map<String, JsonNode> topics = kafkaTopics(Overlay.rendered(name));
        assertThat(topics).containsKeys(ProgressTopics.DEFAULT.inputs().toArray(String[]::new))
                .containsKeys(streamsInternalTopics().toArray(String[]::new));
        int inputPartitions = ProgressTopics.DEFAULT.inputs().stream()
                .mapToInt(topic -> topics.get(topic).path("spec").path("partitions").asInt()).max().orElseThrow();

        for (String topic : streamsInternalTopics()) {
            assertThat(topics.get(topic).path("spec").path("partitions").asInt()).as("%s: partitions", topic)
                    .isEqualTo(inputPartitions);
        }
    }

    /** Topic name (spec.topicName, else metadata.name) → KafkaTopic. */
    static Map<String, JsonNode> kafkaTopics(Overlay overlay) {
        Map<String, JsonNode> topics = new TreeMap<>();
        for (JsonNode resource : overlay.all("KafkaTopic")) {
            String topic = resource.path("spec").path("topicName").asText(Pods.name(resource));
            assertThat(topics.put(topic, resource)).as("two KafkaTopics for %s", topic).isNull();
        }
        return topics;
    }

    /** The topics of worker pools serving {@code groups}, the bucket jobs, the sink, and Kafka Streams'. */
    static Set<String> expectedTopics(List<String> groups) {
        Set<String> topics = new TreeSet<>(contractTopics(groups));
        topics.addAll(streamsInternalTopics());
        return topics;
    }

    private static Set<String> contractTopics(List<String> groups) {
        Set<String> topics = new TreeSet<>();
        for (String group : groups) {
            topics.addAll(TopicProvisioner.streamingTopics(group));   // GpuWorker
            topics.addAll(TopicProvisioner.bulkTopics(group));        // GpuWorker, JobPlanner
        }
        topics.addAll(TopicProvisioner.jobTopics());                  // JobDirectory, JobPlanner
        topics.addAll(ProgressTopics.DEFAULT.all());                  // JobProgress
        topics.add(Topics.dlq(Topics.RESULTS));                       // OutputWriter
        topics.add(Topics.dlq(Topics.JOB_RECORDS));                   // JobShardWriter
        return topics;
    }

    /**
     * The internal topics Kafka Streams creates for the sink's progress topology: {@code <application.id>-<name>}
     * for its repartition topics and {@code <application.id>-<store>-changelog} for its state stores.
     */
    static Set<String> streamsInternalTopics() {
        Set<String> contract = contractTopics(List.of(Topics.DEFAULT_CONSUMER_GROUP));
        Set<String> internal = new TreeSet<>();
        TopologyDescription description = JobProgressTopology.build(ProgressTopics.DEFAULT).describe();
        for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            for (TopologyDescription.Node node : subtopology.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    source.topicSet().stream().filter(topic -> !contract.contains(topic))
                            .forEach(topic -> internal.add(APPLICATION_ID + "-" + topic));
                } else if (node instanceof TopologyDescription.Sink sink) {
                    if (sink.topic() != null && !contract.contains(sink.topic())) {
                        internal.add(APPLICATION_ID + "-" + sink.topic());
                    }
                } else if (node instanceof TopologyDescription.Processor processor) {
                    processor.stores().forEach(store -> internal.add(APPLICATION_ID + "-" + store + "-changelog"));
                }
            }
        }
        assertThat(internal).as("the progress topology has a repartition topic and changelogs")
                .anyMatch(topic -> topic.endsWith("-repartition")).anyMatch(topic -> topic.endsWith("-changelog"));
        return internal;
    }

    private static int nodes(List<JsonNode> pools, String role) {
        return pools.stream().filter(pool -> StreamSupport.stream(pool.path("spec").path("roles").spliterator(), false)
                .anyMatch(r -> role.equals(r.asText()))).mapToInt(pool -> pool.path("spec").path("replicas").asInt()).sum();
    }
}
