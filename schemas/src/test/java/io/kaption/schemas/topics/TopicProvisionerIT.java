package io.kaption.schemas.topics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner.Settings;
import io.kaption.schemas.dlq.DeadLetterPublisher;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfrastructure.class)
class TopicProvisionerIT {

    @Test
    void createsTheMissingTopicsWithTheSettingsAndLeavesExistingOnesAlone() throws Exception {
        String group = "it-" + UUID.randomUUID();
        String preexisting = Topics.dlq(Topics.requests(group));
        SharedInfrastructure.createTopic(preexisting, 2);
        List<String> topics = TopicProvisioner.streamingTopics(group);

        try (Admin admin = KafkaTopics.admin(SharedInfrastructure.kafkaBootstrapServers())) {
            TopicProvisioner provisioner = new TopicProvisioner(admin, new Settings(3, (short) 1));
            Set<String> created = provisioner.ensure(topics);

            assertThat(created).contains(Topics.requests(group)).doesNotContain(preexisting);
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get();
            for (String topic : created) {
                assertThat(described.get(topic).partitions()).as(topic).hasSize(3)
                        .allSatisfy(p -> assertThat(p.replicas()).hasSize(1))
                        .as("a leader as soon as ensure returns: producers write at once")
                        .allSatisfy(p -> assertThat(p.leader()).isNotNull());
            }
            assertThat(described.get(preexisting).partitions()).hasSize(2);
            assertThat(described).containsKeys(topics.toArray(String[]::new));

            assertThat(provisioner.ensure(topics)).as("nothing left to create").isEmpty();
        }
    }

    @Test
    void jobTopicsWhoseLatestValuePerJobCountsAreCompacted() throws Exception {
        try (Admin admin = KafkaTopics.admin(SharedInfrastructure.kafkaBootstrapServers())) {
            new TopicProvisioner(admin, new Settings(2, (short) 1)).ensure(TopicProvisioner.jobTopics());
            List<ConfigResource> resources = TopicProvisioner.jobTopics().stream()
                    .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            Map<String, String> policies = new java.util.TreeMap<>();
            configs.forEach((resource, config) ->
                    policies.put(resource.name(), config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()));
            assertThat(policies).containsExactlyInAnyOrderEntriesOf(Map.of(
                    Topics.JOBS, "compact", Topics.JOB_PLANS, "compact", Topics.JOB_STATUS, "compact",
                    Topics.JOB_RECORDS, "delete", Topics.JOB_OUTPUTS, "delete"));
        }
    }

    @Test
    void aRecordAsLargeAsTheSourceTopicAcceptsCanBeDeadLetteredWithItsReason() throws Exception {
        String group = "it-" + UUID.randomUUID();
        String requests = Topics.requests(group);
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        try (Admin admin = KafkaTopics.admin(bootstrap)) {
            new TopicProvisioner(admin, new Settings(1, (short) 1)).ensure(TopicProvisioner.streamingTopics(group));
        }
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TopicProvisioner.DEAD_LETTER_MAX_MESSAGE_BYTES);
        byte[] value = new byte[1_048_000]; // just under the broker's default message.max.bytes (1048588)
        Arrays.fill(value, (byte) 'x');
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig,
                     new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            producer.send(new ProducerRecord<>(requests, "big".getBytes(UTF_8), value)).get();
            consumer.assign(List.of(new TopicPartition(requests, 0)));
            ConsumerRecord<byte[], byte[]> source = consumer.poll(Duration.ofSeconds(30)).iterator().next();

            String reason = "invalid kaption.requests/v1 value: " + "$.x: not allowed; ".repeat(200);
            RecordMetadata parked = new DeadLetterPublisher(producer).publish(source, reason, null);

            assertThat(parked.topic()).isEqualTo(Topics.dlq(requests));
            assertThat(parked.serializedValueSize()).isEqualTo(value.length);
        }
    }
}
