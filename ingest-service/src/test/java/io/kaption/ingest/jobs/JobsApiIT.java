package io.kaption.ingest.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.InputFormat;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.jobs.JobUsage;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.serde.ContractCodec;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.kaption.ingest.support.IngestFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The job API over HTTP on a real ingest and the shared broker: the exact job JSON, the spec on kaption.jobs, statuses
 * from kaption.job-status, listing, cancellation, idempotent resubmission (also to another replica), validation.
 */
@ExtendWith(SharedInfrastructure.class)
class JobsApiIT {

    private static IngestFixture ingest;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() {
        // Submission refuses jobs whose buckets do not exist.
        for (String bucket : List.of("kaption-in", "kaption-out")) {
            try {
                SharedInfrastructure.s3Client().createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException e) {
                // created by an earlier test class of this JVM
            }
        }
        ingest = IngestFixture.start("jobs", Map.of());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer());
        awaitReady(ingest);
    }

    @AfterAll
    static void stop() {
        producer.close(Duration.ofSeconds(5));
        ingest.close();
    }

    private static void awaitReady(IngestFixture replica) {
        await().atMost(IngestFixture.WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> replica.get("/v1/jobs?limit=1").statusCode() == 200);
    }

    private static String token() {
        return "tok-" + UUID.randomUUID();
    }

    private static HttpResponse<String> post(IngestFixture replica, String path, String body) {
        return replica.send(HttpRequest.newBuilder(replica.uri(path)).timeout(IngestFixture.WAIT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String imagesJob(String token, String prefix) {
        return "{\"input\":\"s3://kaption-in/" + prefix + "/\",\"output\":\"s3://kaption-out/runs\","
                + "\"template\":{\"text\":\"Describe it.\",\"max_new_tokens\":32},\"client_token\":\"" + token + "\"}";
    }

    private static String expectedSubmitted(String jobId, String input, String format, String output, String group,
                                            String token, String createdAt) {
        return "{\"job_id\":\"" + jobId + "\",\"state\":\"validating\",\"input\":\"" + input + "\","
                + "\"input_format\":\"" + format + "\",\"output\":\"" + output + "\",\"consumer_group\":\"" + group
                + "\"," + (token == null ? "" : "\"client_token\":\"" + token + "\",")
                + "\"created_at\":\"" + createdAt + "\",\"updated_at\":\"" + createdAt + "\","
                + "\"counts\":{\"planned\":0,\"completed\":0,\"failed\":0},"
                + "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}";
    }

    @Test
    void aSubmittedJobIsAnswered201WithItsStatusAndPublishedAsItsSpec() {
        String token = token();
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        HttpResponse<String> response = post(ingest, "/v1/jobs", imagesJob(token, "cats"));
        Instant after = Instant.now();

        String jobId = JobIds.forClientToken("primary", token);
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("Location")).hasValue("/v1/jobs/" + jobId);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        String createdAt = json(response.body()).path("created_at").textValue();
        assertThat(Instant.parse(createdAt)).isBetween(before, after);
        String expected = expectedSubmitted(jobId, "s3://kaption-in/cats/", "images", "s3://kaption-out/runs",
                "primary", token, createdAt);
        assertThat(response.body()).isEqualTo(expected);

        assertThat(IngestFixture.awaitRecord(Topics.JOBS, jobId).toString()).isEqualTo("{\"job_id\":\"" + jobId
                + "\",\"input\":\"s3://kaption-in/cats/\",\"input_format\":\"images\","
                + "\"output\":\"s3://kaption-out/runs\",\"template\":{\"text\":\"Describe it.\",\"max_new_tokens\":32},"
                + "\"consumer_group\":\"primary\",\"client_token\":\"" + token + "\",\"created_at\":\"" + createdAt
                + "\"}");

        HttpResponse<String> got = ingest.get("/v1/jobs/" + jobId);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(expected);
    }

    @Test
    void aManifestJobWithoutTokenGetsARandomIdAndItsGroup() {
        String body = "{\"input\":\"s3://kaption-in/lists/batch.jsonl\",\"output\":\"s3://kaption-out/\","
                + "\"consumer_group\":\"" + ingest.group() + "\"}";
        HttpResponse<String> first = post(ingest, "/v1/jobs", body);
        HttpResponse<String> second = post(ingest, "/v1/jobs", body);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(second.statusCode()).isEqualTo(201);
        JsonNode job = json(first.body());
        String jobId = job.path("job_id").textValue();
        assertThat(jobId).matches("job-[0-9a-f]{32}").isNotEqualTo(json(second.body()).path("job_id").textValue());
        assertThat(first.body()).isEqualTo(expectedSubmitted(jobId, "s3://kaption-in/lists/batch.jsonl", "jsonl",
                "s3://kaption-out/", ingest.group(), null, job.path("created_at").textValue()));
        assertThat(IngestFixture.awaitRecord(Topics.JOBS, jobId).path("template").toString()).isEqualTo("{}");
    }

    @Test
    void theSameTokenTwiceIsOneJobPublishedOnceAndOtherParametersAre409() {
        String token = token();
        HttpResponse<String> first = post(ingest, "/v1/jobs", imagesJob(token, "dogs"));
        // The contract's default spelt out makes the same request: the same job.
        HttpResponse<String> again = post(ingest, "/v1/jobs", "{\"input\":\"s3://kaption-in/dogs/\","
                + "\"output\":\"s3://kaption-out/runs\",\"template\":{\"text\":\"Describe it.\",\"max_new_tokens\":32,"
                + "\"sampling_temperature\":1.0},\"client_token\":\"" + token + "\",\"consumer_group\":\"primary\"}");

        String jobId = JobIds.forClientToken("primary", token);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Location")).hasValue("/v1/jobs/" + jobId);
        assertThat(again.body()).isEqualTo(first.body());

        HttpResponse<String> other = post(ingest, "/v1/jobs", imagesJob(token, "cows"));
        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(other.body()).isEqualTo("{\"error\":{\"code\":\"idempotency_mismatch\",\"message\":\"client_token '"
                + token + "' was used for job " + jobId + " with other parameters; use a new token for a new job\"}}");

        assertThat(recordsKeyed(Topics.JOBS, jobId)).hasSize(1);
    }

    @Test
    void anotherReplicaKnowsTheJobFromKafkaAndRecognisesItsResubmission() {
        String token = token();
        HttpResponse<String> first = post(ingest, "/v1/jobs", imagesJob(token, "birds"));
        assertThat(first.statusCode()).isEqualTo(201);
        String jobId = json(first.body()).path("job_id").textValue();

        try (IngestFixture replica = IngestFixture.start("jobs-replica", Map.of())) {
            awaitReady(replica);
            HttpResponse<String> got = replica.get("/v1/jobs/" + jobId);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.body()).isEqualTo(first.body());

            HttpResponse<String> again = post(replica, "/v1/jobs", imagesJob(token, "birds"));
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.body()).isEqualTo(first.body());
        }
        assertThat(recordsKeyed(Topics.JOBS, jobId)).hasSize(1);
    }

    @Test
    void aStatusOnKaptionJobStatusIsWhatGetAnswers() {
        HttpResponse<String> submitted = post(ingest, "/v1/jobs", imagesJob(token(), "fish"));
        JsonNode job = json(submitted.body());
        String jobId = job.path("job_id").textValue();
        Instant createdAt = Instant.parse(job.path("created_at").textValue());
        JobStatus status = new JobStatus(jobId, JobState.IN_PROGRESS, "s3://kaption-in/fish/", InputFormat.IMAGES,
                "s3://kaption-out/runs", "primary", job.path("client_token").textValue(), createdAt,
                Instant.parse("2030-01-01T00:00:05Z"), null, new JobCounts(null, 5, 2, 1),
                new JobUsage(100, 20, 120), null, null);
        produce(Topics.JOB_STATUS, jobId, ContractCodec.JOB_STATUS.encode(status));

        String expected = "{\"job_id\":\"" + jobId + "\",\"state\":\"in_progress\",\"input\":\"s3://kaption-in/fish/\","
                + "\"input_format\":\"images\",\"output\":\"s3://kaption-out/runs\",\"consumer_group\":\"primary\","
                + "\"client_token\":\"" + status.clientToken() + "\",\"created_at\":\"" + createdAt + "\","
                + "\"updated_at\":\"2030-01-01T00:00:05Z\",\"counts\":{\"planned\":5,\"completed\":2,\"failed\":1},"
                + "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120}}";
        await().atMost(IngestFixture.WAIT).untilAsserted(() ->
                assertThat(ingest.get("/v1/jobs/" + jobId).body()).isEqualTo(expected));
    }

    @Test
    void listingIsNewestFirstInPagesThatContinueAfterTheLastId() {
        assertThat(post(ingest, "/v1/jobs", imagesJob(token(), "now")).statusCode()).isEqualTo(201);
        // Specs written straight to kaption.jobs, created in the future: the newest jobs the directory knows.
        Instant base = Instant.now().plus(36_500, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = JobIds.random();
            ids.add(id);
            produce(Topics.JOBS, id, ContractCodec.JOBS.encode(new JobSpec(id, "s3://kaption-in/list/",
                    InputFormat.IMAGES, "s3://kaption-out/", IngestFixture.JSON.createObjectNode().put("text", "x"),
                    "primary", null, base.plusSeconds(i))));
        }
        String oldest = ids.get(0);
        String middle = ids.get(1);
        String newest = ids.get(2);
        await().atMost(IngestFixture.WAIT).until(() -> ingest.get("/v1/jobs/" + newest).statusCode() == 200);

        HttpResponse<String> first = ingest.get("/v1/jobs?limit=2");
        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode page = json(first.body());
        assertThat(page.path("object").textValue()).isEqualTo("list");
        assertThat(page.path("data").findValuesAsText("job_id")).containsExactly(newest, middle);
        assertThat(page.path("data").get(0).toString())
                .isEqualTo(ingest.get("/v1/jobs/" + newest).body());
        assertThat(page.path("first_id").textValue()).isEqualTo(newest);
        assertThat(page.path("last_id").textValue()).isEqualTo(middle);
        assertThat(page.path("has_more").booleanValue()).isTrue();
        assertThat(fieldNames(page)).containsExactly("object", "data", "first_id", "last_id", "has_more");

        JsonNode next = json(ingest.get("/v1/jobs?limit=1&after=" + middle).body());
        assertThat(next.path("data").findValuesAsText("job_id")).containsExactly(oldest);
        assertThat(next.path("first_id").textValue()).isEqualTo(oldest);
        assertThat(next.path("last_id").textValue()).isEqualTo(oldest);
        assertThat(next.path("has_more").booleanValue()).isTrue(); // the job submitted now follows

        JsonNode defaults = json(ingest.get("/v1/jobs").body());
        assertThat(defaults.path("data").size()).isBetween(4, JobsHandler.DEFAULT_LIMIT);
        assertThat(defaults.path("data").findValuesAsText("job_id").subList(0, 3))
                .containsExactly(newest, middle, oldest);
    }

    @Test
    void theEndOfTheListingHasNoMore() {
        String last = null;
        JsonNode page;
        do {
            page = json(ingest.get("/v1/jobs?limit=100" + (last == null ? "" : "&after=" + last)).body());
            last = page.path("last_id").textValue();
        } while (page.path("has_more").booleanValue());
        JsonNode empty = json(ingest.get("/v1/jobs?limit=5&after=" + last).body());
        assertThat(empty.toString())
                .isEqualTo("{\"object\":\"list\",\"data\":[],\"first_id\":null,\"last_id\":null,\"has_more\":false}");
    }

    @Test
    void badListingParametersAre400() {
        for (String limit : List.of("0", "101", "ten")) {
            HttpResponse<String> response = ingest.get("/v1/jobs?limit=" + limit);
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_limit\",\"message\":\"limit must be "
                    + "a whole number from 1 to 100, got '" + limit + "'\"}}");
        }
        HttpResponse<String> unknown = ingest.get("/v1/jobs?after=job-nope");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body())
                .isEqualTo("{\"error\":{\"code\":\"invalid_after\",\"message\":\"after names no job: 'job-nope'\"}}");
    }

    @Test
    void cancelPublishesTheJobsCancellationAndAnswersCancelling() {
        HttpResponse<String> submitted = post(ingest, "/v1/jobs", imagesJob(token(), "owls"));
        JsonNode job = json(submitted.body());
        String jobId = job.path("job_id").textValue();
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);

        HttpResponse<String> cancelled = post(ingest, "/v1/jobs/" + jobId + "/cancel", "");

        assertThat(cancelled.statusCode()).isEqualTo(200);
        JsonNode answer = json(cancelled.body());
        String updatedAt = answer.path("updated_at").textValue();
        assertThat(Instant.parse(updatedAt)).isBetween(before, Instant.now());
        assertThat(cancelled.body()).isEqualTo(submitted.body()
                .replace("\"state\":\"validating\"", "\"state\":\"cancelling\"")
                .replace("\"updated_at\":\"" + job.path("updated_at").textValue() + "\"",
                        "\"updated_at\":\"" + updatedAt + "\""));
        assertThat(IngestFixture.awaitRecord(Topics.CANCELLATIONS, jobId).toString())
                .isEqualTo("{\"reason\":\"cancelled_by_user\",\"job_id\":\"" + jobId + "\"}");
    }

    @Test
    void cancellingAFinishedJobIs409AndAnUnknownOne404() {
        HttpResponse<String> submitted = post(ingest, "/v1/jobs", imagesJob(token(), "bees"));
        JsonNode job = json(submitted.body());
        String jobId = job.path("job_id").textValue();
        Instant createdAt = Instant.parse(job.path("created_at").textValue());
        Instant finishedAt = createdAt.plusSeconds(60);
        produce(Topics.JOB_STATUS, jobId, ContractCodec.JOB_STATUS.encode(new JobStatus(jobId, JobState.COMPLETED,
                "s3://kaption-in/bees/", InputFormat.IMAGES, "s3://kaption-out/runs", "primary",
                job.path("client_token").textValue(), createdAt, finishedAt, finishedAt, new JobCounts(2L, 2, 2, 0),
                new JobUsage(10, 4, 14), null, "s3://kaption-out/runs/" + jobId + "/manifest.json")));
        await().atMost(IngestFixture.WAIT).until(() ->
                json(ingest.get("/v1/jobs/" + jobId).body()).path("state").textValue().equals("completed"));

        HttpResponse<String> finished = post(ingest, "/v1/jobs/" + jobId + "/cancel", "");
        assertThat(finished.statusCode()).isEqualTo(409);
        assertThat(finished.body()).isEqualTo("{\"error\":{\"code\":\"job_already_finished\",\"message\":\"job "
                + jobId + " is already completed\"}}");
        assertThat(recordsKeyed(Topics.CANCELLATIONS, jobId)).isEmpty();

        HttpResponse<String> unknown = post(ingest, "/v1/jobs/job-unknown/cancel", "");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body())
                .isEqualTo("{\"error\":{\"code\":\"job_not_found\",\"message\":\"no job job-unknown\"}}");
        HttpResponse<String> get = ingest.get("/v1/jobs/job-unknown");
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.body()).isEqualTo(unknown.body());
    }

    @Test
    void eachInvalidSubmissionIs400WithItsCodeAndNothingPublished() {
        String token = token();
        String ok = "\"output\":\"s3://kaption-out/runs\",\"client_token\":\"" + token + "\"";
        Map<String, String> cases = Map.ofEntries(
                Map.entry("[1]", "invalid_json"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"template\":{\"text\":\"x\"},\"extra\":1}",
                        "invalid_request"),
                Map.entry("{\"input\":\"s3://Bad_Bucket/x/\"," + ok + ",\"template\":{\"text\":\"x\"}}",
                        "invalid_input"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\",\"output\":\"/tmp/out\",\"client_token\":\"" + token
                        + "\",\"template\":{\"text\":\"x\"}}", "invalid_output"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"input_format\":\"tar\"}",
                        "invalid_input_format"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"template\":{\"text\":\"x\","
                        + "\"request_id\":\"r\"}}", "invalid_template"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"template\":{\"text\":\"x\","
                        + "\"max_new_tokens\":0}}", "invalid_template"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"template\":{}}", "text_required"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\"," + ok + ",\"template\":{\"text\":\"x\"},"
                        + "\"consumer_group\":\"no/slash\"}", "invalid_consumer_group"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\",\"output\":\"s3://kaption-out/\","
                        + "\"client_token\":7,\"template\":{\"text\":\"x\"}}", "invalid_client_token"),
                Map.entry("{\"input\":\"s3://kaption-in/x/\",\"output\":\"s3://kaption-in/x/out\","
                        + "\"client_token\":\"" + token + "\",\"template\":{\"text\":\"x\"}}", "output_inside_input"));
        cases.forEach((body, code) -> {
            HttpResponse<String> response = post(ingest, "/v1/jobs", body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(json(response.body()).path("error").path("code").textValue()).as(body).isEqualTo(code);
            assertThat(json(response.body()).path("error").path("message").textValue()).as(body).isNotBlank();
        });

        HttpResponse<String> inside = post(ingest, "/v1/jobs", "{\"input\":\"s3://kaption-in/x/\","
                + "\"output\":\"s3://kaption-in/x/out\",\"client_token\":\"" + token + "\",\"template\":{\"text\":\"x\"}}");
        String jobId = JobIds.forClientToken("primary", token);
        assertThat(inside.body()).isEqualTo("{\"error\":{\"code\":\"output_inside_input\",\"message\":\"the job's "
                + "files would be written under s3://kaption-in/x/out/" + jobId + "/, inside the input prefix "
                + "s3://kaption-in/x/: they would become records; choose an output outside it\"}}");
        HttpResponse<String> template = post(ingest, "/v1/jobs", "{\"input\":\"s3://kaption-in/x/\"," + ok
                + ",\"template\":{\"text\":\"x\",\"max_new_tokens\":0}}");
        assertThat(template.body()).isEqualTo("{\"error\":{\"code\":\"invalid_template\",\"message\":\"template does "
                + "not make a valid request: template.max_new_tokens: must have a minimum value of 1\"}}");
        assertThat(recordsKeyed(Topics.JOBS, jobId)).isEmpty();

        HttpResponse<String> noOutputBucket = post(ingest, "/v1/jobs", "{\"input\":\"s3://kaption-in/x/\","
                + "\"output\":\"s3://kaption-missing-out/runs\",\"template\":{\"text\":\"x\"}}");
        assertThat(noOutputBucket.statusCode()).isEqualTo(400);
        assertThat(noOutputBucket.body()).isEqualTo("{\"error\":{\"code\":\"output_bucket_not_found\",\"message\":"
                + "\"the output bucket 'kaption-missing-out' does not exist; create it first (the job's shards and "
                + "manifest are written there)\"}}");
        HttpResponse<String> noInputBucket = post(ingest, "/v1/jobs", "{\"input\":\"s3://kaption-missing-in/x/\","
                + "\"output\":\"s3://kaption-out/runs\",\"template\":{\"text\":\"x\"}}");
        assertThat(noInputBucket.body()).isEqualTo("{\"error\":{\"code\":\"input_not_found\",\"message\":"
                + "\"the input bucket 'kaption-missing-in' does not exist\"}}");

        HttpResponse<String> form = ingest.send(HttpRequest.newBuilder(ingest.uri("/v1/jobs"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("input=s3://kaption-in/x/")));
        assertThat(form.statusCode()).isEqualTo(415);
        assertThat(json(form.body()).path("error").path("code").textValue()).isEqualTo("unsupported_media_type");
    }

    @Test
    void otherMethodsAre405WithTheAllowedOnes() {
        HttpResponse<String> response = ingest.send(HttpRequest.newBuilder(ingest.uri("/v1/jobs")).DELETE());
        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue("POST, GET");
        HttpResponse<String> cancelGet = ingest.get("/v1/jobs/job-x/cancel");
        assertThat(cancelGet.statusCode()).isEqualTo(405);
        assertThat(cancelGet.headers().firstValue("Allow")).hasValue("POST");
    }

    // ---- Kafka ----

    private static void produce(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(IngestFixture.WAIT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not write to " + topic, e);
        }
    }

    /** The values of every record keyed {@code key} on {@code topic}, read up to its current end. */
    private static List<String> recordsKeyed(String topic, String key) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plus(IngestFixture.WAIT);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                assertThat(Instant.now()).as("reading " + topic + " to its end").isBefore(deadline);
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        values.add(new String(record.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return values;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
