package io.kaption.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.EventCollector.Received;
import io.kaption.worker.consume.RequestConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A worker started like {@code WorkerMain} without KAPTION_MODEL (it writes and serves the demo model), serving
 * two consumer groups, stopped while a long request runs.
 */
@ExtendWith(SharedInfrastructure.class)
class GpuWorkerShutdownIT {

    @Test
    void servesSeveralGroupsAndOnCloseCancelsWhatRunsPastTheGraceAndCommitsIt() throws Exception {
        String groupA = "it-a-" + UUID.randomUUID();
        String groupB = "it-b-" + UUID.randomUUID();
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        String quick = "quick-" + UUID.randomUUID();
        String slow = "slow-" + UUID.randomUUID();
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");

        GpuWorker worker = GpuWorker.start(WorkerConfig.builder()
                .consumerGroups(groupA, groupB)
                .kafkaBootstrapServers(bootstrap)
                .topics(new TopicProvisioner.Settings(1, (short) 1))
                .shutdownGrace(Duration.ZERO)
                .build());
        try (EventCollector events = EventCollector.start(bootstrap);
             Admin admin = KafkaTopics.admin(bootstrap);
             KafkaProducer<String, GenerationRequest> requests = new KafkaProducer<>(producerConfig,
                     new StringSerializer(), new ContractSerializer<>(ContractCodec.REQUESTS, producerConfig))) {
            try {
                requests.send(new ProducerRecord<>(Topics.requests(groupB), quick,
                        GenerationRequest.builder(quick, Texts.of("Hello?"), null).maxNewTokens(3).build())).get();
                assertThat(events.awaitResult(quick).value().error()).isNull();

                RecordMetadata sent = requests.send(new ProducerRecord<>(Topics.requests(groupA), slow,
                        GenerationRequest.builder(slow, Texts.of("Tell me everything."), null).stream(true)
                                .maxNewTokens(4000).minNewTokens(4000).build())).get();
                await().atMost(Duration.ofSeconds(60)).until(() -> !events.tokens(slow).isEmpty());

                worker.close();

                assertThat(worker.terminated()).isDone();
                assertThat(worker.failure()).isEmpty();
                GenerationResult result = events.awaitResult(slow).value();
                assertThat(result.error()).isEqualTo(new GenerationResult.Failure("cancelled",
                        "the worker shut down before the request finished"));
                List<Received<TokenEvent>> tokens = events.tokens(slow);
                assertThat(tokens.get(tokens.size() - 1).value().finishReason()).isEqualTo(FinishReason.ERROR);

                // Closing waited for the result's acknowledgement and committed it.
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets(RequestConsumer.groupId(groupA))
                        .partitionsToOffsetAndMetadata().get();
                assertThat(committed.get(new TopicPartition(Topics.requests(groupA), sent.partition())))
                        .isEqualTo(new OffsetAndMetadata(sent.offset() + 1));
            } finally {
                worker.close();
            }
        }
    }
}
