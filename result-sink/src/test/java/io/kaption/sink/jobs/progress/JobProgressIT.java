package io.kaption.sink.jobs.progress;

import static io.kaption.sink.jobs.progress.ProgressFixtures.completed;
import static io.kaption.sink.jobs.progress.ProgressFixtures.failed;
import static io.kaption.sink.jobs.progress.ProgressFixtures.outputs;
import static io.kaption.sink.jobs.progress.ProgressFixtures.plan;
import static io.kaption.sink.jobs.progress.ProgressFixtures.spec;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real application on the shared broker, on topics of its own: job records and statuses read back with
 * read_committed across restarts of the application, with its state directory kept and with a fresh one.
 */
@ExtendWith(SharedInfrastructure.class)
class JobProgressIT {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path stateDir;
    @TempDir
    Path freshStateDir;

    private ProgressTopics topics;
    private JobProgressConfig config;
    private KafkaProducer<String, byte[]> producer;
    private KafkaConsumer<String, byte[]> reader;
    private final List<JobRecord> records = new ArrayList<>();
    private final List<JobStatus> statuses = new ArrayList<>();
    private JobProgress app;

    @BeforeEach
    void setUp() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        topics = ProgressTopics.prefixed("it-" + run + ".");
        config = new JobProgressConfig(KafkaConnection.of(SharedInfrastructure.kafkaBootstrapServers()), "kaption-job-progress-it-" + run,
                stateDir, new TopicProvisioner.Settings(2, (short) 1), topics);
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void tearDown() {
        if (app != null) {
            app.close();
        }
        if (reader != null) {
            reader.close();
        }
        producer.close();
    }

    @Test
    void linesAreNeitherLostNorDuplicatedAcrossRestartsAndTheJobEndsOnce() {
        String job = "job-it-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        app = JobProgress.start(config);
        assertThat(app.isRunning()).isTrue();
        openReader();

        send(topics.jobs(), job, ContractCodec.JOBS.encode(spec(job)));
        send(topics.jobPlans(), job, ContractCodec.JOB_PLANS.encode(plan(job, 10, false)));
        for (int n = 0; n < 10; n++) {
            sendResult(n % 4 == 3 ? failed(job, n, "image_invalid") : completed(job, n, "text " + n));
        }
        sendResult(completed(job, 2, "a redelivery"));
        send(topics.results(), job + "-5", "{\"request_id\":\"broken\"}".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> readUntil(10, null));
        assertThat(statuses.get(statuses.size() - 1).counts()).isEqualTo(new JobCounts(null, 10, 8, 2));

        app.close(); // restart on the same state directory
        app = JobProgress.start(config);
        send(topics.jobPlans(), job, ContractCodec.JOB_PLANS.encode(plan(job, 20, true)));
        for (int n = 10; n < 20; n++) {
            sendResult(n % 4 == 3 ? failed(job, n, "image_invalid") : completed(job, n, "text " + n));
            if (n == 14) {
                await().atMost(WAIT).until(() -> readUntil(15, null)); // this instance has processed lines
                app.close(); // restart mid-stream on an empty state directory: restored from the changelogs
                app = JobProgress.start(config.withStateDir(freshStateDir));
            }
        }
        for (int n = 0; n < 20; n += 3) {
            sendResult(completed(job, n, "another redelivery"));
        }
        await().atMost(WAIT).until(() -> readUntil(21, JobState.FINALIZING));

        send(topics.jobOutputs(), job, ContractCodec.JOB_OUTPUTS.encode(outputs(job)));
        await().atMost(WAIT).until(() -> readUntil(21, JobState.PARTIALLY_COMPLETED));

        assertThat(records).hasSize(21);
        List<JobRecord> results = records.stream().filter(r -> r.type() == JobRecordType.RESULT).toList();
        List<JobRecord> errors = records.stream().filter(r -> r.type() == JobRecordType.ERROR).toList();
        assertThat(results).extracting(JobRecord::seq).containsExactlyElementsOf(seqs(15));
        assertThat(errors).extracting(JobRecord::seq).containsExactlyElementsOf(seqs(5));
        Set<String> requests = new HashSet<>();
        records.stream().filter(r -> r.type() != JobRecordType.END).forEach(r -> requests.add(r.requestId()));
        assertThat(requests).hasSize(20);
        assertThat(records).filteredOn(r -> (job + "-2").equals(r.requestId()))
                .extracting(r -> r.text().values().get(0)).containsExactly("text 2");
        JobRecord end = records.get(20);
        assertThat(end.type()).isEqualTo(JobRecordType.END);
        assertThat(end.status().state()).isEqualTo(JobState.PARTIALLY_COMPLETED);
        assertThat(end.status().counts()).isEqualTo(new JobCounts(20L, 20, 15, 5));
        JobStatus last = statuses.get(statuses.size() - 1);
        assertThat(last.manifestUri()).isEqualTo("s3://kaption-out/runs/" + job + "/manifest.json");
        assertThat(last.finishedAt()).isEqualTo(end.status().updatedAt());
        assertThat(last.counts()).isEqualTo(end.status().counts());

        ConsumerRecord<byte[], byte[]> dead = readOne(Topics.dlq(topics.results()));
        assertThat(new String(dead.value(), UTF_8)).isEqualTo("{\"request_id\":\"broken\"}");
        assertThat(new String(dead.headers().lastHeader(DeadLetterHeaders.REASON).value(), UTF_8))
                .startsWith("invalid kaption.results/v1 value:");
    }

    private static List<Long> seqs(int count) {
        return LongStream.range(0, count).boxed().toList();
    }

    private void send(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value));
        producer.flush();
    }

    private void sendResult(GenerationResult result) {
        send(topics.results(), result.requestId(), ContractCodec.RESULTS.encode(result));
    }

    private void openReader() {
        reader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.jobRecords(), topics.jobStatus())) {
            reader.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        reader.assign(partitions);
        reader.seekToBeginning(partitions);
    }

    /** Reads what arrived; true once there are {@code lines} job records and, if given, a status in that state. */
    private boolean readUntil(int lines, JobState state) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
            if (record.topic().equals(topics.jobRecords())) {
                records.add(ContractCodec.JOB_RECORDS.decode(record.value()));
            } else {
                statuses.add(ContractCodec.JOB_STATUS.decode(record.value()));
            }
        }
        return records.size() >= lines
                && (state == null || statuses.stream().anyMatch(status -> status.state() == state));
    }

    private ConsumerRecord<byte[], byte[]> readOne(String topic) {
        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = dlq.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            dlq.assign(partitions);
            dlq.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            await().atMost(WAIT).until(() -> {
                dlq.poll(Duration.ofMillis(200)).forEach(read::add);
                return !read.isEmpty();
            });
            return read.get(0);
        }
    }
}
