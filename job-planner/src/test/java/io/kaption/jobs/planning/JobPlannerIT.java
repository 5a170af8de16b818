package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Real planners on the shared broker, reading the shared S3; every test with its own bucket, jobs and group. */
@ExtendWith(SharedInfrastructure.class)
class JobPlannerIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final TopicProvisioner.Settings TOPICS = new TopicProvisioner.Settings(3, (short) 1);

    private static KafkaProducer<String, byte[]> producer;
    private static S3Client s3;
    private final List<JobPlanner> planners = new ArrayList<>();

    @BeforeAll
    static void start() {
        s3 = SharedInfrastructure.s3Client();
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

    @AfterEach
    void closePlanners() {
        planners.forEach(JobPlanner::close);
    }

    // ---- fixtures

    private static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static String newBucket() {
        String bucket = unique("planner-it-");
        s3.createBucket(b -> b.bucket(bucket));
        return bucket;
    }

    private static void put(String bucket, String key, String content) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(content));
    }

    private JobPlanner startPlanner(int pageSize, JobPlanner.PageHook hook) {
        JobPlannerConfig config = JobPlannerConfig.of(SharedInfrastructure.kafkaBootstrapServers(), unique("it-"))
                .withS3Endpoint(SharedInfrastructure.s3Endpoint())
                .withPageSize(pageSize)
                .withTopics(TOPICS);
        return startPlanner(config, hook);
    }

    private JobPlanner startPlanner(JobPlannerConfig config, JobPlanner.PageHook hook) {
        JobPlanner planner = JobPlanner.start(config, s3, false, hook);
        planners.add(planner);
        return planner;
    }

    private static ObjectNode template(String json) {
        try {
            return (ObjectNode) ManifestLine.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JobSpec spec(String input, InputFormat format, String group) {
        return new JobSpec(unique("job-"), input, format, "s3://planner-out/results/",
                template("{\"text\":\"Describe the image.\",\"max_new_tokens\":16}"), group, null, Instant.now());
    }

    private static RecordMetadata submit(JobSpec spec) throws Exception {
        return producer.send(new ProducerRecord<>(Topics.JOBS, spec.jobId(), ContractCodec.JOBS.encode(spec)))
                .get(30, TimeUnit.SECONDS);
    }

    /** Every committed record of {@code topic} whose key starts with {@code <jobId>-}, in offset order per partition. */
    private static List<ConsumerRecord<String, byte[]>> committed(String topic, String keyPrefix) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() != null && record.key().startsWith(keyPrefix)) {
                        found.add(record);
                    }
                }
            }
            return found;
        }
    }

    private static List<GenerationRequest> requests(JobSpec spec) {
        return committed(Topics.bulkRequests(spec.consumerGroup()), spec.jobId() + "-").stream()
                .map(r -> ContractCodec.REQUESTS.decode(r.value())).toList();
    }

    private static List<GenerationResult> results(JobSpec spec) {
        return committed(Topics.RESULTS, spec.jobId() + "-").stream()
                .map(r -> ContractCodec.RESULTS.decode(r.value())).toList();
    }

    private static List<JobPlan> plans(JobSpec spec) {
        return committed(Topics.JOB_PLANS, spec.jobId()).stream().filter(r -> r.key().equals(spec.jobId()))
                .map(r -> ContractCodec.JOB_PLANS.decode(r.value())).toList();
    }

    private static JobPlan awaitDone(JobSpec spec) {
        AtomicReference<JobPlan> last = new AtomicReference<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
            List<JobPlan> plans = plans(spec);
            last.set(plans.isEmpty() ? null : plans.get(plans.size() - 1));
            return last.get() != null && last.get().done();
        });
        return last.get();
    }

    private static List<String> ids(JobSpec spec, int count) {
        return IntStream.range(0, count).mapToObj(n -> spec.jobId() + "-" + n).toList();
    }

    private static List<Long> records(List<JobPlan> plans) {
        return plans.stream().map(JobPlan::records).toList();
    }

    private static String images(String bucket, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            put(bucket, prefix + String.format("img-%02d.png", i), "png " + i);
        }
        return "s3://" + bucket + "/" + prefix;
    }

    // ---- tests

    @Test
    void plansEveryObjectOfAPrefixPageByPage() throws Exception {
        String bucket = newBucket();
        String input = images(bucket, "photos/", 25);
        put(bucket, "photos/zz/", ""); // a folder marker, listed last
        put(bucket, "other/img.png", "not under the prefix");
        JobSpec spec = spec(input, InputFormat.IMAGES, unique("images-"));
        startPlanner(10, JobPlanner.PageHook.NONE);

        submit(spec);
        JobPlan done = awaitDone(spec);

        assertThat(done.records()).isEqualTo(25);
        assertThat(done.error()).isNull();
        assertThat(done.cancelled()).isFalse();
        List<JobPlan> plans = plans(spec);
        assertThat(records(plans)).containsExactly(10L, 20L, 25L);
        assertThat(plans).extracting(JobPlan::done).containsExactly(false, false, true);
        assertThat(plans).extracting(JobPlan::lastKey).containsExactly("photos/img-09.png", "photos/img-19.png",
                "photos/zz/");
        List<GenerationRequest> requests = requests(spec);
        assertThat(requests).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 25));
        for (GenerationRequest request : requests) {
            int n = Integer.parseInt(request.requestId().substring(spec.jobId().length() + 1));
            String key = String.format("photos/img-%02d.png", n);
            assertThat(request.recordId()).isEqualTo(key);
            assertThat(request.imageUrl()).isEqualTo("s3://" + bucket + "/" + key);
            assertThat(request.jobId()).isEqualTo(spec.jobId());
            assertThat(request.consumerGroup()).isEqualTo(spec.consumerGroup());
            assertThat(request.stream()).isFalse();
            assertThat(request.text().toString()).contains("Describe the image.");
            assertThat(request.maxNewTokens()).isEqualTo(16);
            assertThat(request.createdAt()).isNotNull();
        }
        assertThat(results(spec)).isEmpty();
    }

    @Test
    void plansAManifestWithOwnFieldsAndRefusesBadLines() throws Exception {
        String bucket = newBucket();
        String manifest = String.join("\n",
                "{\"custom_id\":\"c-1\",\"image_url\":\"s3://" + bucket + "/1.png\"}",
                "{\"recordId\":\"r-2\",\"image_url\":\"s3://" + bucket + "/2.png\",\"text\":\"Own prompt\","
                        + "\"max_new_tokens\":5}",
                "{\"record_id\":\"r-3\",\"image_url\":\"https://images.example/3.png\",\"sampling_topk\":3}",
                "",
                "{\"image_url\":\"s3://" + bucket + "/5.png\"}",
                "this is not json",
                "{\"record_id\":\"r-7\",\"text\":\"no image\"}",
                "{\"record_id\":\"r-8\",\"image_url\":\"s3://" + bucket + "/8.png\",\"sampling_topp\":5}",
                "{\"record_id\":\"r-9\",\"image_url\":\"s3://" + bucket + "/9.png\",\"text\":\"" + "y".repeat(300)
                        + "\"}") + "\n";
        put(bucket, "in/manifest.jsonl", manifest);
        JobSpec spec = spec("s3://" + bucket + "/in/manifest.jsonl", InputFormat.JSONL, unique("jsonl-"));
        startPlanner(JobPlannerConfig.of(SharedInfrastructure.kafkaBootstrapServers(), unique("it-"))
                .withS3Endpoint(SharedInfrastructure.s3Endpoint()).withPageSize(3).withMaxLineBytes(200)
                .withTopics(TOPICS), JobPlanner.PageHook.NONE);

        submit(spec);
        JobPlan done = awaitDone(spec);

        assertThat(done.records()).isEqualTo(8);
        assertThat(done.byteOffset()).isEqualTo(manifest.getBytes(StandardCharsets.UTF_8).length);
        assertThat(records(plans(spec))).containsExactly(3L, 6L, 8L);
        List<GenerationRequest> requests = requests(spec);
        assertThat(requests).extracting(GenerationRequest::requestId).containsExactlyInAnyOrderElementsOf(ids(spec, 4));
        Map<String, GenerationRequest> byRecord = new java.util.HashMap<>();
        requests.forEach(r -> byRecord.put(r.recordId(), r));
        assertThat(byRecord.keySet()).containsExactlyInAnyOrder("c-1", "r-2", "r-3", "line-5");
        assertThat(byRecord.get("c-1").requestId()).isEqualTo(spec.jobId() + "-0");
        assertThat(byRecord.get("c-1").text().toString()).contains("Describe the image.");
        assertThat(byRecord.get("c-1").maxNewTokens()).isEqualTo(16);
        assertThat(byRecord.get("r-2").text().toString()).contains("Own prompt");
        assertThat(byRecord.get("r-2").maxNewTokens()).isEqualTo(5);
        assertThat(byRecord.get("r-3").imageUrl()).isEqualTo("https://images.example/3.png");
        assertThat(byRecord.get("r-3").samplingTopk()).isEqualTo(3);
        assertThat(byRecord.get("line-5").requestId()).isEqualTo(spec.jobId() + "-3");

        List<GenerationResult> refused = results(spec);
        assertThat(refused).extracting(GenerationResult::requestId)
                .containsExactlyInAnyOrder(spec.jobId() + "-4", spec.jobId() + "-5", spec.jobId() + "-6",
                        spec.jobId() + "-7");
        assertThat(refused).allSatisfy(result -> {
            assertThat(result.finishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(result.error().code()).isEqualTo("invalid_record");
            assertThat(result.jobId()).isEqualTo(spec.jobId());
        });
        Map<String, GenerationResult> byId = new java.util.HashMap<>();
        refused.forEach(r -> byId.put(r.recordId(), r));
        assertThat(byId.keySet()).containsExactlyInAnyOrder("line-6", "r-7", "r-8", "line-9");
        assertThat(byId.get("line-6").imageUrl()).isNull();
        assertThat(byId.get("r-8").imageUrl()).isEqualTo("s3://" + bucket + "/8.png");
        assertThat(byId.get("r-8").error().message()).contains("$.sampling_topp");
        assertThat(byId.get("line-9").error().message()).isEqualTo("line 9 is longer than 200 bytes");
    }

    @Test
    void aPlannerThatCrashesMidTransactionIsResumedByAnotherWithoutDuplicatesOrGaps() throws Exception {
        String bucket = newBucket();
        JobSpec spec = spec(images(bucket, "many/", 45), InputFormat.IMAGES, unique("crash-"));
        JobPlanner crashing = startPlanner(10, checkpoint -> {
            if (checkpoint.jobId().equals(spec.jobId()) && checkpoint.records() == 30) {
                throw new IllegalStateException("simulated crash before the third page commits");
            }
        });

        submit(spec);
        await().atMost(WAIT).until(() -> !crashing.isAlive());
        assertThat(crashing.failure()).get().extracting(Throwable::getMessage)
                .isEqualTo("simulated crash before the third page commits");
        assertThat(records(plans(spec))).containsExactly(10L, 20L);
        assertThat(requests(spec)).hasSize(20);

        startPlanner(10, JobPlanner.PageHook.NONE);
        JobPlan done = awaitDone(spec);

        assertThat(done.records()).isEqualTo(45);
        assertThat(records(plans(spec))).containsExactly(10L, 20L, 30L, 40L, 45L);
        assertThat(requests(spec)).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 45));
    }

    /**
     * A transaction that outlives its timeout (a page's commit held up, as by a broker failing over) is aborted by
     * the transaction coordinator, which bumps the producer epoch: the planner's next request fails with
     * InvalidProducerEpochException. That is abortable, not fatal: the planner aborts and plans the page again. Found
     * by the fault harness (deploy/chaos): a broker killed mid-page stopped the planner for good.
     */
    @Test
    void aPageTransactionAbortedByItsTimeoutIsPlannedAgain() throws Exception {
        String bucket = newBucket();
        JobSpec spec = spec(images(bucket, "slow/", 25), InputFormat.IMAGES, unique("timeout-"));
        CountDownLatch heldUp = new CountDownLatch(1);
        JobPlanner planner = startPlanner(10, checkpoint -> {
            if (checkpoint.jobId().equals(spec.jobId()) && checkpoint.records() == 20 && heldUp.getCount() > 0) {
                heldUp.countDown();
                sleepPastTheTransactionTimeout();
            }
        });

        submit(spec);
        JobPlan done = awaitDone(spec);

        assertThat(heldUp.getCount()).isZero();
        assertThat(planner.isAlive()).isTrue();
        assertThat(done.records()).isEqualTo(25);
        assertThat(records(plans(spec))).containsExactly(10L, 20L, 25L);
        assertThat(requests(spec)).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 25));
    }

    /** The planner's transaction timeout is 15 s; the coordinator looks for expired transactions every 10 s. */
    private static void sleepPastTheTransactionTimeout() {
        try {
            Thread.sleep(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aClosedPlannerLeavesAManifestJobToBeResumedAtItsByteOffset() throws Exception {
        String bucket = newBucket();
        StringBuilder manifest = new StringBuilder("\n"); // a blank first line: ids count physical lines
        for (int i = 0; i < 25; i++) {
            manifest.append("{\"image_url\":\"s3://").append(bucket).append("/").append(i).append(".png\"}\n");
        }
        put(bucket, "m.jsonl", manifest.toString());
        JobSpec spec = spec("s3://" + bucket + "/m.jsonl", InputFormat.JSONL, unique("close-"));
        AtomicReference<JobPlanner> first = new AtomicReference<>();
        CountDownLatch reached = new CountDownLatch(1);
        first.set(startPlanner(10, checkpoint -> {
            if (checkpoint.jobId().equals(spec.jobId()) && checkpoint.records() == 10) {
                reached.countDown();
                await().atMost(WAIT).until(() -> first.get().stopping());
            }
        }));

        submit(spec);
        assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        CompletableFuture.runAsync(first.get()::close).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(first.get().failure()).isEmpty();
        List<JobPlan> before = plans(spec);
        assertThat(records(before)).containsExactly(10L);
        assertThat(before.get(0).done()).isFalse();

        startPlanner(10, JobPlanner.PageHook.NONE);
        JobPlan done = awaitDone(spec);

        assertThat(done.records()).isEqualTo(25);
        assertThat(records(plans(spec))).containsExactly(10L, 20L, 25L);
        List<GenerationRequest> requests = requests(spec);
        assertThat(requests).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 25));
        // record n is on physical line n + 2 (after the blank first line), also after resuming at a byte offset
        assertThat(requests).allSatisfy(request -> {
            int n = Integer.parseInt(request.requestId().substring(spec.jobId().length() + 1));
            assertThat(request.recordId()).isEqualTo("line-" + (n + 2));
            assertThat(request.imageUrl()).isEqualTo("s3://" + bucket + "/" + n + ".png");
        });
    }

    @Test
    void aDuplicateSpecOfAPlannedJobPublishesNothing() throws Exception {
        String bucket = newBucket();
        JobSpec spec = spec(images(bucket, "dup/", 3), InputFormat.IMAGES, unique("dup-"));
        startPlanner(10, JobPlanner.PageHook.NONE);
        submit(spec);
        awaitDone(spec);

        RecordMetadata again = submit(spec);
        TopicPartition partition = new TopicPartition(Topics.JOBS, again.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            await().atMost(WAIT).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(JobPlanner.GROUP_ID)
                        .partitionsToOffsetAndMetadata().get().get(partition);
                return committed != null && committed.offset() > again.offset();
            });
        }

        assertThat(records(plans(spec))).containsExactly(3L);
        assertThat(requests(spec)).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 3));
    }

    @Test
    void aMissingBucketOrManifestEndsTheJobWithInputNotFound() throws Exception {
        JobSpec noBucket = spec("s3://" + unique("planner-missing-") + "/photos/", InputFormat.IMAGES,
                unique("missing-"));
        JobSpec noManifest = spec("s3://" + newBucket() + "/absent.jsonl", InputFormat.JSONL, unique("missing-"));
        startPlanner(10, JobPlanner.PageHook.NONE);

        submit(noBucket);
        submit(noManifest);

        for (JobSpec spec : List.of(noBucket, noManifest)) {
            JobPlan done = awaitDone(spec);
            assertThat(done.records()).isZero();
            assertThat(done.error()).isNotNull();
            assertThat(done.error().code()).isEqualTo("input_not_found");
            assertThat(done.error().message()).startsWith(spec.input() + ": NoSuch");
            assertThat(requests(spec)).isEmpty();
        }
    }

    @Test
    void anEmptyPrefixIsADoneJobOfNoRecords() throws Exception {
        String bucket = newBucket();
        put(bucket, "elsewhere/1.png", "x");
        JobSpec spec = spec("s3://" + bucket + "/nothing-here/", InputFormat.IMAGES, unique("empty-"));
        startPlanner(10, JobPlanner.PageHook.NONE);

        submit(spec);
        JobPlan done = awaitDone(spec);

        assertThat(done.records()).isZero();
        assertThat(done.error()).isNull();
        assertThat(done.cancelled()).isFalse();
        assertThat(plans(spec)).hasSize(1);
        assertThat(requests(spec)).isEmpty();
    }

    @Test
    void aCancelledJobStopsPlanningAfterThePageInProgress() throws Exception {
        String bucket = newBucket();
        JobSpec spec = spec(images(bucket, "cancel/", 45), InputFormat.IMAGES, unique("cancel-"));
        AtomicReference<JobPlanner> planner = new AtomicReference<>();
        planner.set(startPlanner(10, checkpoint -> {
            if (checkpoint.jobId().equals(spec.jobId()) && checkpoint.records() == 20) {
                Cancellation cancel = Cancellation.ofJob(spec.jobId(), "user asked");
                try {
                    producer.send(new ProducerRecord<>(Topics.CANCELLATIONS, cancel.key(),
                            ContractCodec.CANCELLATIONS.encode(cancel))).get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                await().atMost(WAIT).until(() -> planner.get().knowsCancelled(spec.jobId()));
            }
        }));

        submit(spec);
        JobPlan done = awaitDone(spec);

        assertThat(done.cancelled()).isTrue();
        assertThat(done.records()).isEqualTo(20);
        assertThat(done.lastKey()).isEqualTo("cancel/img-19.png");
        assertThat(records(plans(spec))).containsExactly(10L, 20L, 20L);
        assertThat(requests(spec)).extracting(GenerationRequest::requestId)
                .containsExactlyInAnyOrderElementsOf(ids(spec, 20));
    }
}
