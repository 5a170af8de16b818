package io.kaption.sink.jobs.shards;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.jobs.JobOutputs;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
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
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Real shard writers on the shared broker, writing to the shared S3. Each test has its own records topic (one
 * partition, so the order of its jobs' records is the test's), outputs topic, consumer group and job ids; the records
 * are produced as the progress topology writes them (JSON of {@link ContractCodec#JOB_RECORDS}, key job_id).
 */
@ExtendWith(SharedInfrastructure.class)
class JobShardWriterIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String BUCKET = "kaption-jobs-" + UUID.randomUUID().toString().substring(0, 8);
    private static final TopicProvisioner.Settings TOPICS = new TopicProvisioner.Settings(1, (short) 1);

    private static KafkaProducer<String, byte[]> producer;
    private static S3Client s3;

    private final String recordsTopic = "kaption.job-records.it-" + UUID.randomUUID();
    private final String outputsTopic = "kaption.job-outputs.it-" + UUID.randomUUID();
    private final String group = "kaption-sink-job-shards-it-" + UUID.randomUUID();

    @BeforeAll
    static void start() {
        s3 = SharedInfrastructure.s3Client();
        s3.createBucket(b -> b.bucket(BUCKET));
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
    }

    private JobShardWriter startWriter(int shardRecords) {
        return JobShardWriter.start(JobShardWriterConfig.defaults(SharedInfrastructure.kafkaBootstrapServers())
                .withTopics(recordsTopic, outputsTopic).withGroupId(group).withShardRecords(shardRecords)
                .withTopicSettings(TOPICS), s3);
    }

    private static String newJobId() {
        return "job-" + UUID.randomUUID().toString().replace("-", "");
    }

    private void produce(List<JobRecord> records) {
        try {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (JobRecord record : records) { // one idempotent producer, one partition: kept in this order
                sent.add(producer.send(new ProducerRecord<>(recordsTopic, 0, record.jobId(),
                        ContractCodec.JOB_RECORDS.encode(record))));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get();
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<JobRecord> results(String job, String output, long from, long to) {
        return LongStream.range(from, to).mapToObj(seq -> JobLines.result(job, output, seq)).toList();
    }

    private static String resultLines(String job, long from, long to) {
        return LongStream.range(from, to).mapToObj(seq -> JobLines.resultLine(job, seq) + "\n")
                .collect(Collectors.joining());
    }

    private static String errorLines(String job, long from, long to) {
        return LongStream.range(from, to).mapToObj(seq -> JobLines.errorLine(job, seq) + "\n")
                .collect(Collectors.joining());
    }

    private static ResponseBytes<GetObjectResponse> object(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key));
    }

    private static String text(String key) {
        return object(key).asUtf8String();
    }

    private static List<String> keysUnder(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key).sorted()
                .toList();
    }

    private static void delete(String key) {
        s3.deleteObject(b -> b.bucket(BUCKET).key(key));
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    private List<JobOutputs> outputsOf(String jobId) {
        return readAll(outputsTopic).stream().filter(r -> jobId.equals(new String(r.key(), UTF_8)))
                .map(r -> ContractCodec.JOB_OUTPUTS.decode(r.value())).toList();
    }

    private Long committedOffset() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(recordsTopic, 0));
            return offset == null ? null : offset.offset();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writesFullAndPartialShardsTheManifestAndPublishesJobOutputs() {
        String job = newJobId();
        String output = "s3://" + BUCKET + "/runs/plain";
        List<JobRecord> records = new ArrayList<>();
        int errors = 0;
        for (int seq = 0; seq < 2500; seq++) {
            records.add(JobLines.result(job, output, seq));
            if (seq % 83 == 40 && errors < 30) {
                records.add(JobLines.error(job, output, errors++));
            }
        }
        while (errors < 30) {
            records.add(JobLines.error(job, output, errors++));
        }
        records.add(JobLines.end(job, output, 2500, 30));
        try (JobShardWriter writer = startWriter(1000)) {
            produce(records);
            String folder = "runs/plain/" + job + "/";
            await().atMost(WAIT).until(() -> !outputsOf(job).isEmpty());
            assertThat(keysUnder(folder)).containsExactly(folder + "errors-00000.jsonl", folder + "manifest.json",
                    folder + "results-00000.jsonl", folder + "results-00001.jsonl", folder + "results-00002.jsonl");
            assertThat(text(folder + "results-00000.jsonl")).isEqualTo(resultLines(job, 0, 1000));
            assertThat(text(folder + "results-00001.jsonl")).isEqualTo(resultLines(job, 1000, 2000));
            assertThat(text(folder + "results-00002.jsonl")).isEqualTo(resultLines(job, 2000, 2500));
            assertThat(text(folder + "errors-00000.jsonl")).isEqualTo(errorLines(job, 0, 30));
            assertThat(object(folder + "results-00002.jsonl").response().contentType())
                    .isEqualTo("application/x-ndjson");
            String uri = "s3://" + BUCKET + "/" + folder;
            assertThat(text(folder + "manifest.json")).isEqualTo("{\"job_id\":\"" + job + "\",\"state\":"
                    + "\"partially_completed\",\"input\":\"s3://in/images/\",\"input_format\":\"images\",\"output\":\""
                    + output + "\",\"consumer_group\":\"primary\",\"created_at\":\"2025-01-02T03:04:05Z\","
                    + "\"finished_at\":\"2025-01-02T04:05:06.789Z\",\"counts\":{\"total\":2530,\"completed\":2500,"
                    + "\"failed\":30},\"usage\":{\"prompt_tokens\":25000,\"completion_tokens\":7500,\"total_tokens\":"
                    + "32500},\"results\":[\"" + uri + "results-00000.jsonl\",\"" + uri + "results-00001.jsonl\",\""
                    + uri + "results-00002.jsonl\"],\"errors\":[\"" + uri + "errors-00000.jsonl\"]}");
            assertThat(object(folder + "manifest.json").response().contentType()).isEqualTo("application/json");
            List<JobOutputs> outputs = outputsOf(job);
            assertThat(outputs).hasSize(1);
            assertThat(outputs.get(0).manifestUri()).isEqualTo(uri + "manifest.json");
            assertThat(outputs.get(0).resultShards()).isEqualTo(3);
            assertThat(outputs.get(0).errorShards()).isEqualTo(1);
            // Nothing is left buffered: the whole partition is committed.
            await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset()).isEqualTo((long) records.size()));
        }
    }

    @Test
    void outputPrefixWithTrailingSlashOrBareBucketPutsTheFilesInTheJobsFolder() {
        String slashed = newJobId();
        String bare = newJobId();
        String slashedOutput = "s3://" + BUCKET + "/runs/slashed/";
        String bareOutput = "s3://" + BUCKET;
        List<JobRecord> records = new ArrayList<>(results(slashed, slashedOutput, 0, 3));
        records.add(JobLines.end(slashed, slashedOutput, 3, 0));
        records.addAll(results(bare, bareOutput, 0, 1));
        records.add(JobLines.end(bare, bareOutput, 1, 0));
        try (JobShardWriter writer = startWriter(2)) {
            produce(records);
            await().atMost(WAIT).until(() -> !outputsOf(slashed).isEmpty() && !outputsOf(bare).isEmpty());
        }
        String folder = "runs/slashed/" + slashed + "/";
        assertThat(keysUnder(folder)).containsExactly(folder + "manifest.json", folder + "results-00000.jsonl",
                folder + "results-00001.jsonl");
        assertThat(text(folder + "results-00001.jsonl")).isEqualTo(resultLines(slashed, 2, 3));
        assertThat(text(folder + "manifest.json")).contains("\"results\":[\"s3://" + BUCKET + "/" + folder
                + "results-00000.jsonl\",\"s3://" + BUCKET + "/" + folder + "results-00001.jsonl\"],\"errors\":[]}");
        assertThat(outputsOf(slashed).get(0).manifestUri()).isEqualTo("s3://" + BUCKET + "/" + folder + "manifest.json");
        assertThat(keysUnder(bare + "/")).containsExactly(bare + "/manifest.json", bare + "/results-00000.jsonl");
        assertThat(outputsOf(bare).get(0).manifestUri()).isEqualTo("s3://" + BUCKET + "/" + bare + "/manifest.json");
    }

    /**
     * Job "pin" opens a shard before job "a" starts, so the commit stays before every line of "a": the second
     * writer reads all of "a" again and rewrites its shards, byte for byte the same, and nothing else.
     */
    @Test
    void aWriterClosedMidJobIsFollowedByOneThatWritesEverySeqExactlyOnce() {
        String a = newJobId();
        String pin = newJobId();
        String output = "s3://" + BUCKET + "/runs/restart";
        String folder = "runs/restart/" + a + "/";
        List<JobRecord> first = new ArrayList<>(results(pin, output, 0, 1));
        first.addAll(results(a, output, 0, 25));
        String shard0;
        String shard1;
        try (JobShardWriter writer = startWriter(10)) {
            produce(first);
            await().atMost(WAIT).until(() -> keysUnder(folder).size() == 2);
            shard0 = text(folder + "results-00000.jsonl");
            shard1 = text(folder + "results-00001.jsonl");
        }
        assertThat(shard0).isEqualTo(resultLines(a, 0, 10));
        assertThat(shard1).isEqualTo(resultLines(a, 10, 20));
        await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset()).isZero()); // the pin's line
        delete(folder + "results-00000.jsonl"); // so that the rewrite is seen

        List<JobRecord> rest = new ArrayList<>(results(a, output, 25, 35));
        rest.add(JobLines.end(a, output, 35, 0));
        rest.addAll(results(pin, output, 1, 2));
        rest.add(JobLines.end(pin, output, 2, 0));
        try (JobShardWriter writer = startWriter(10)) {
            produce(rest);
            await().atMost(WAIT).until(() -> !outputsOf(a).isEmpty() && !outputsOf(pin).isEmpty());
        }
        assertThat(keysUnder(folder)).containsExactly(folder + "manifest.json", folder + "results-00000.jsonl",
                folder + "results-00001.jsonl", folder + "results-00002.jsonl", folder + "results-00003.jsonl");
        assertThat(text(folder + "results-00000.jsonl")).isEqualTo(shard0);
        assertThat(text(folder + "results-00001.jsonl")).isEqualTo(shard1);
        assertThat(text(folder + "results-00002.jsonl")).isEqualTo(resultLines(a, 20, 30));
        assertThat(text(folder + "results-00003.jsonl")).isEqualTo(resultLines(a, 30, 35));
        assertThat(outputsOf(a)).hasSize(1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset())
                .isEqualTo((long) first.size() + rest.size()));
    }

    /**
     * A writer that crashes after its puts, before committing them: the next one reads the lines again and writes
     * the same bytes. The pin keeps the committed offset before the puts whenever the crash comes.
     */
    @Test
    void aCrashBetweenPutAndCommitIsRepairedByTheReplayWithIdenticalBytes() {
        String a = newJobId();
        String pin = newJobId();
        String output = "s3://" + BUCKET + "/runs/crash";
        String folder = "runs/crash/" + a + "/";
        List<JobRecord> records = new ArrayList<>(results(pin, output, 0, 1));
        records.addAll(results(a, output, 0, 7));
        records.add(JobLines.end(a, output, 7, 0));
        JobShardWriter crashing = startWriter(3);
        produce(records);
        await().atMost(WAIT).until(() -> !outputsOf(a).isEmpty());
        crashing.crash();
        Map<String, String> written = Map.of(
                "results-00000.jsonl", text(folder + "results-00000.jsonl"),
                "results-00001.jsonl", text(folder + "results-00001.jsonl"),
                "results-00002.jsonl", text(folder + "results-00002.jsonl"),
                "manifest.json", text(folder + "manifest.json"));
        assertThat(written.get("results-00002.jsonl")).isEqualTo(resultLines(a, 6, 7));
        written.keySet().forEach(name -> delete(folder + name));

        try (JobShardWriter writer = startWriter(3)) {
            await().atMost(WAIT).until(() -> outputsOf(a).size() == 2);
            await().atMost(WAIT).until(() -> keysUnder(folder).size() == 4);
        }
        written.forEach((name, bytes) -> assertThat(text(folder + name)).as(name).isEqualTo(bytes));
        List<JobOutputs> outputs = outputsOf(a);
        assertThat(outputs.get(1).manifestUri()).isEqualTo(outputs.get(0).manifestUri());
        assertThat(outputs.get(1).resultShards()).isEqualTo(3);
    }

    /**
     * The committed offset lies inside job a's partial last shard (the pin's line is there): the replay drops the
     * partial shard's lines whose first line it did not see and does not write that shard again, but rewrites the
     * manifest and re-publishes JobOutputs on the replayed end.
     */
    @Test
    void linesRedeliveredAfterTheirPartialShardWasWrittenAreDropped() {
        String a = newJobId();
        String pin = newJobId();
        String output = "s3://" + BUCKET + "/runs/partial";
        String folder = "runs/partial/" + a + "/";
        List<JobRecord> records = new ArrayList<>(results(a, output, 0, 12));
        long pinOffset = records.size();
        records.addAll(results(pin, output, 0, 1));
        records.addAll(results(a, output, 12, 15));
        records.add(JobLines.end(a, output, 15, 0));
        try (JobShardWriter writer = startWriter(10)) {
            produce(records);
            await().atMost(WAIT).until(() -> !outputsOf(a).isEmpty());
        }
        assertThat(text(folder + "results-00001.jsonl")).isEqualTo(resultLines(a, 10, 15));
        await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset()).isEqualTo(pinOffset));
        delete(folder + "results-00001.jsonl");
        delete(folder + "manifest.json");

        try (JobShardWriter writer = startWriter(10)) {
            produce(List.of(JobLines.end(pin, output, 1, 0)));
            await().atMost(WAIT).until(() -> !outputsOf(pin).isEmpty());
        }
        assertThat(outputsOf(a)).hasSize(2);
        assertThat(keysUnder(folder)).containsExactly(folder + "manifest.json", folder + "results-00000.jsonl");
        assertThat(text(folder + "manifest.json")).contains("\"results\":[\"s3://" + BUCKET + "/" + folder
                + "results-00000.jsonl\",\"s3://" + BUCKET + "/" + folder + "results-00001.jsonl\"]");
        assertThat(text(folder + "results-00000.jsonl")).isEqualTo(resultLines(a, 0, 10));
        assertThat(text("runs/partial/" + pin + "/results-00000.jsonl")).isEqualTo(resultLines(pin, 0, 1));
    }

    @Test
    void aJobWhoseBucketDoesNotExistIsDeadLetteredAndOtherJobsGoOn() {
        String lost = newJobId();
        String fine = newJobId();
        String lostOutput = "s3://kaption-no-such-bucket-" + UUID.randomUUID().toString().substring(0, 8) + "/p";
        String fineOutput = "s3://" + BUCKET + "/runs/fine";
        List<JobRecord> records = new ArrayList<>(results(lost, lostOutput, 0, 2));
        long failingOffset = 1;
        records.addAll(results(fine, fineOutput, 0, 1));
        records.addAll(results(lost, lostOutput, 2, 3));
        long endOffset = records.size();
        records.add(JobLines.end(lost, lostOutput, 3, 0));
        records.addAll(results(fine, fineOutput, 1, 3));
        records.add(JobLines.end(fine, fineOutput, 3, 0));
        try (JobShardWriter writer = startWriter(2)) {
            produce(records);
            await().atMost(WAIT).until(() -> !outputsOf(fine).isEmpty());
            await().atMost(WAIT).untilAsserted(() -> assertThat(committedOffset()).isEqualTo((long) records.size()));
        }
        String folder = "runs/fine/" + fine + "/";
        assertThat(text(folder + "results-00000.jsonl")).isEqualTo(resultLines(fine, 0, 2));
        assertThat(text(folder + "results-00001.jsonl")).isEqualTo(resultLines(fine, 2, 3));
        assertThat(outputsOf(lost)).isEmpty();

        List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll(Topics.dlq(recordsTopic));
        assertThat(deadLetters).extracting(ConsumerRecord::key).extracting(key -> new String(key, UTF_8))
                .containsExactly(lost, lost);
        assertThat(deadLetters).extracting(r -> new String(r.headers().lastHeader(DeadLetterHeaders.SOURCE_OFFSET)
                .value(), UTF_8)).containsExactly(Long.toString(failingOffset), Long.toString(endOffset));
        assertThat(new String(deadLetters.get(0).headers().lastHeader(DeadLetterHeaders.REASON).value(), UTF_8))
                .isEqualTo("cannot write the outputs of job " + lost + ": " + lostOutput + "/" + lost
                        + "/results-00000.jsonl: NoSuchBucket");
        assertThat(new String(deadLetters.get(1).headers().lastHeader(DeadLetterHeaders.REASON).value(), UTF_8))
                .isEqualTo("outputs of job " + lost + " were not written: " + lostOutput + "/" + lost
                        + "/results-00000.jsonl: NoSuchBucket");
        assertThat(ContractCodec.JOB_RECORDS.decode(deadLetters.get(0).value()).seq()).isEqualTo(1L);
    }
}
