package io.kaption.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.Topics;
import io.kaption.schemas.topics.TopicProvisioner.Settings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
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
                        .allSatisfy(p -> assertThat(p.replicas()).hasSize(1));
            }
            assertThat(described.get(preexisting).partitions()).hasSize(2);
            assertThat(described).containsKeys(topics.toArray(String[]::new));

            assertThat(provisioner.ensure(topics)).as("nothing left to create").isEmpty();
        }
    }
}
