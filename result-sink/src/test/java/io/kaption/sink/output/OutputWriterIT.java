package io.kaption.sink.output;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Real writers on the shared broker, writing to the shared S3; each test on its own results topic. */
@ExtendWith(SharedInfrastructure.class)
class OutputWriterIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String BUCKET = "kaption-outputs-" + UUID.randomUUID().toString().substring(0, 8);
    private static final TopicProvisioner.Settings TOPICS = new TopicProvisioner.Settings(1, (short) 1);

    private static KafkaProducer<String, byte[]> producer;
    private static S3Client s3;

    @BeforeAll
    static void start() {
        s3 = SharedInfrastructure.s3Client();
        s3.createBucket(b -> b.bucket(BUCKET));
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
    }

    private static String newTopic() {
        String topic = "kaption.results.outputs-" + UUID.randomUUID();
        SharedInfrastructure.createTopic(topic, 1);
        return topic;
    }

    private static OutputWriter startWriter(String topic, String group) {
        return OutputWriter.start(KafkaConnection.of(SharedInfrastructure.kafkaBootstrapServers()), topic, group, TOPICS, s3);
    }

    private static GenerationResult result(String outputUri) {
        GenerationRequest request = GenerationRequest.builder("req-" + UUID.randomUUID(), Texts.of("What is it?"), null)
                .jobId("job-1").recordId("rec-1").outputUri(outputUri).build();
        return GenerationResult.completed(request, Texts.of("A cat \"Tom\" – ü."), FinishReason.STOP,
                GenerationResult.Usage.of(5, 4), 2L, 30L);
    }

    private static byte[] send(String topic, GenerationResult result) throws Exception {
        byte[] value = ContractCodec.RESULTS.encode(result);
        producer.send(new ProducerRecord<>(topic, result.requestId(), value)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return value;
    }

    private static boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(BUCKET).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    private static List<String> keysUnder(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key).toList();
    }

    @Test
    void writesExactlyTheEncodedResultAsJsonAndNothingForResultsWithoutOutputUri() throws Exception {
        String topic = newTopic();
        String prefix = "written-" + UUID.randomUUID() + "/";
        GenerationResult completed = result("s3://" + BUCKET + "/" + prefix + "job-1/rec-1.json");
        GenerationResult failed = GenerationResult.failed(GenerationRequest.builder("req-f", Texts.of("x"), null)
                        .outputUri("s3://" + BUCKET + "/" + prefix + "failed.json").build(),
                new GenerationResult.Failure("image_unavailable", "s3://in/1.png: NoSuchKey"), 1L, 2L);
        String group = "outputs-it-" + UUID.randomUUID();

        try (OutputWriter writer = startWriter(topic, group)) {
            send(topic, result(null));
            byte[] completedJson = send(topic, completed);
            send(topic, result(null));
            byte[] failedJson = send(topic, failed);

            await().atMost(WAIT).until(() -> exists(prefix + "failed.json"));
            ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(
                    b -> b.bucket(BUCKET).key(prefix + "job-1/rec-1.json"));
            assertThat(object.asByteArray()).isEqualTo(completedJson);
            assertThat(object.response().contentType()).isEqualTo("application/json");
            assertThat(new String(object.asByteArray(), UTF_8)).contains("\"output_uri\":\"s3://" + BUCKET + "/"
                    + prefix + "job-1/rec-1.json\"");
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(prefix + "failed.json")).asByteArray())
                    .isEqualTo(failedJson);
            // The results without output_uri came before the last one and wrote nothing.
            assertThat(keysUnder(prefix)).containsExactlyInAnyOrder(prefix + "job-1/rec-1.json",
                    prefix + "failed.json");
            // Committed after the puts, up to the end of the topic.
            await().atMost(WAIT).untilAsserted(() -> assertThat(committed(group, topic)).isEqualTo(4L));
        }
    }

    @Test
    void aResultWhoseBucketDoesNotExistIsDeadLetteredAndTheNextIsStillWritten() throws Exception {
        String topic = newTopic();
        String missing = "s3://kaption-missing-" + UUID.randomUUID().toString().substring(0, 8) + "/out.json";
        String key = "after-dlq-" + UUID.randomUUID() + ".json";
        GenerationResult unwritable = result(missing);

        try (OutputWriter writer = startWriter(topic, "outputs-it-" + UUID.randomUUID())) {
            byte[] unwritableJson = send(topic, unwritable);
            byte[] nextJson = send(topic, result("s3://" + BUCKET + "/" + key));

            await().atMost(WAIT).until(() -> exists(key));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).isEqualTo(nextJson);

            List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll(topic + ".dlq", 1);
            assertThat(deadLetters).hasSize(1);
            ConsumerRecord<byte[], byte[]> deadLetter = deadLetters.get(0);
            assertThat(new String(deadLetter.key(), UTF_8)).isEqualTo(unwritable.requestId());
            assertThat(deadLetter.value()).isEqualTo(unwritableJson);
            assertThat(new String(deadLetter.headers().lastHeader(DeadLetterHeaders.REASON).value(), UTF_8))
                    .isEqualTo("cannot write output_uri " + missing + ": NoSuchBucket");
            assertThat(new String(deadLetter.headers().lastHeader(DeadLetterHeaders.SOURCE_TOPIC).value(), UTF_8))
                    .isEqualTo(topic);
        }
    }

    @Test
    void aWriterRestartedOnTheSameGroupDoesNotRewriteWhatWasCommitted() throws Exception {
        String topic = newTopic();
        String group = "outputs-it-" + UUID.randomUUID();
        String first = "restart-" + UUID.randomUUID() + "/first.json";
        String second = "restart-" + UUID.randomUUID() + "/second.json";

        OutputWriter stopped;
        try (OutputWriter writer = startWriter(topic, group)) {
            send(topic, result("s3://" + BUCKET + "/" + first));
            await().atMost(WAIT).until(() -> exists(first));
            assertThat(writer.isAlive()).isTrue();
            stopped = writer;
        }
        assertThat(stopped.isAlive()).as("after close").isFalse();
        s3.deleteObject(b -> b.bucket(BUCKET).key(first));
        assertThat(committed(group, topic)).isEqualTo(1L);

        try (OutputWriter writer = startWriter(topic, group)) {
            send(topic, result("s3://" + BUCKET + "/" + second));
            await().atMost(WAIT).until(() -> exists(second));
        }
        assertThat(exists(first)).as("the committed first result was not written again").isFalse();
        assertThat(committed(group, topic)).isEqualTo(2L);
    }

    @Test
    void aRequestAnsweredTwiceKeepsItsFirstResultWhileAnotherRequestMayReplaceTheObject() throws Exception {
        String topic = newTopic();
        String key = "twice-" + UUID.randomUUID() + ".json";
        String marker = "marker-" + UUID.randomUUID() + ".json";
        GenerationResult first = result("s3://" + BUCKET + "/" + key);
        // A worker crashed after publishing the result and before committing: the replay answers again.
        GenerationResult replayed = GenerationResult.completed(GenerationRequest.builder(first.requestId(),
                        Texts.of("What is it?"), null).outputUri(first.outputUri()).build(), Texts.of("A dog."),
                FinishReason.STOP, GenerationResult.Usage.of(5, 3), 2L, 31L);
        GenerationResult otherRequest = result("s3://" + BUCKET + "/" + key);

        try (OutputWriter writer = startWriter(topic, "outputs-it-" + UUID.randomUUID())) {
            byte[] firstJson = send(topic, first);
            send(topic, replayed);
            send(topic, result("s3://" + BUCKET + "/" + marker));
            await().atMost(WAIT).until(() -> exists(marker));

            ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key));
            assertThat(object.asByteArray()).isEqualTo(firstJson);
            assertThat(object.response().metadata()).containsEntry("kaption-request-id", first.requestId());

            byte[] otherJson = send(topic, otherRequest);
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray()).isEqualTo(otherJson));
        }
    }

    private static Long committed(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
            return offset == null ? null : offset.offset();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "outputs-it-dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= atLeast;
            });
            consumer.poll(Duration.ofMillis(500)).forEach(records::add); // nothing more expected
        }
        return records;
    }
}
