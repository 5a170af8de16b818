package io.kaption.sink.jobs.progress;

import static io.kaption.sink.jobs.progress.ProgressFixtures.cancelledPlan;
import static io.kaption.sink.jobs.progress.ProgressFixtures.completed;
import static io.kaption.sink.jobs.progress.ProgressFixtures.failed;
import static io.kaption.sink.jobs.progress.ProgressFixtures.failedPlan;
import static io.kaption.sink.jobs.progress.ProgressFixtures.outputs;
import static io.kaption.sink.jobs.progress.ProgressFixtures.plan;
import static io.kaption.sink.jobs.progress.ProgressFixtures.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.Cancellation;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.jobs.JobUsage;
import io.kaption.schemas.serde.ContractCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobProgressTopologyTest {

    private static final String JOB = "job-7";
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:05Z");

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> jobs;
    private TestInputTopic<String, byte[]> plans;
    private TestInputTopic<String, byte[]> results;
    private TestInputTopic<String, byte[]> cancellations;
    private TestInputTopic<String, byte[]> jobOutputs;
    private TestOutputTopic<String, String> records;
    private TestOutputTopic<String, String> statuses;
    private int second;

    @BeforeEach
    void startDriver() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "job-progress-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(JobProgressTopology.build(ProgressTopics.DEFAULT), props);
        jobs = input(Topics.JOBS);
        plans = input(Topics.JOB_PLANS);
        results = input(Topics.RESULTS);
        cancellations = input(Topics.CANCELLATIONS);
        jobOutputs = input(Topics.JOB_OUTPUTS);
        records = driver.createOutputTopic(Topics.JOB_RECORDS, new StringDeserializer(), new StringDeserializer());
        statuses = driver.createOutputTopic(Topics.JOB_STATUS, new StringDeserializer(), new StringDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void happyPathNumbersLinesEndsOnceAndCompletesAfterOutputs() {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 2, false)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 3, true)));
        sendResult(completed(JOB, 0, "A cat."));
        sendResult(completed(JOB, 2, "A dog."));
        sendResult(completed(JOB, 1, "A bird."));
        Instant lastResultAt = at(second - 1);

        List<TestRecord<String, String>> written = records.readRecordsToList();
        assertThat(written).extracting(TestRecord::key).containsOnly(JOB);
        assertThat(written.get(0).value()).isEqualTo("{\"job_id\":\"job-7\",\"type\":\"result\","
                + "\"output\":\"s3://kaption-out/runs\",\"seq\":0,\"request_id\":\"job-7-0\",\"record_id\":\"cats/0.jpg\","
                + "\"image_url\":\"s3://kaption-in/cats/0.jpg\",\"text\":\"A cat.\",\"finish_reason\":\"stop\","
                + "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":10,\"total_tokens\":110}}");
        List<JobRecord> lines = decodeRecords(written);
        assertThat(lines).extracting(JobRecord::type, JobRecord::seq, JobRecord::requestId).containsExactly(
                tuple(JobRecordType.RESULT, 0L, "job-7-0"),
                tuple(JobRecordType.RESULT, 1L, "job-7-2"),
                tuple(JobRecordType.RESULT, 2L, "job-7-1"),
                tuple(JobRecordType.END, null, null));
        JobStatus end = lines.get(3).status();
        assertThat(end.state()).isEqualTo(JobState.COMPLETED);
        assertThat(end.counts()).isEqualTo(new JobCounts(3L, 3, 3, 0));
        assertThat(end.usage()).isEqualTo(new JobUsage(303, 30, 333));
        assertThat(end.updatedAt()).isEqualTo(lastResultAt);
        assertThat(end.finishedAt()).isEqualTo(lastResultAt);
        assertThat(end.manifestUri()).isNull();

        List<JobStatus> seen = decodeStatuses();
        assertThat(seen).extracting(JobStatus::state).containsExactly(JobState.VALIDATING, JobState.IN_PROGRESS,
                JobState.IN_PROGRESS, JobState.IN_PROGRESS, JobState.IN_PROGRESS, JobState.FINALIZING);
        assertThat(seen.get(0)).isEqualTo(new JobStatus(JOB, JobState.VALIDATING, "s3://kaption-in/cats/",
                spec(JOB).inputFormat(), "s3://kaption-out/runs", "primary", null, ProgressFixtures.CREATED, at(0),
                null, JobCounts.NONE, JobUsage.NONE, null, null));
        assertThat(seen.get(1).counts()).isEqualTo(new JobCounts(null, 2, 0, 0));
        assertThat(seen.get(2).counts()).isEqualTo(new JobCounts(3L, 3, 0, 0));
        assertThat(seen.get(4).counts()).isEqualTo(new JobCounts(3L, 3, 2, 0));
        assertThat(seen.get(5).finishedAt()).isNull();

        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        JobStatus last = decodeStatuses().get(0);
        assertThat(last.state()).isEqualTo(JobState.COMPLETED);
        assertThat(last.manifestUri()).isEqualTo("s3://kaption-out/runs/job-7/manifest.json");
        assertThat(last.finishedAt()).isEqualTo(lastResultAt);
        assertThat(last.updatedAt()).isEqualTo(at(second - 1));
        assertThat(last.counts()).isEqualTo(new JobCounts(3L, 3, 3, 0));
        assertThat(records.isEmpty()).isTrue();
    }

    @Test
    void onlyTheFirstResultOfARequestCounts() {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 2, true)));
        statuses.readRecordsToList();
        sendResult(failed(JOB, 0, "image_unavailable"));
        sendResult(completed(JOB, 0, "redelivered"));
        sendResult(failed(JOB, 0, "image_unavailable"));
        assertThat(decodeStatuses()).hasSize(1); // the duplicates changed nothing
        sendResult(completed(JOB, 1, "A cat."));
        sendResult(completed(JOB, 1, "A cat."));

        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        assertThat(lines).extracting(JobRecord::type, JobRecord::seq, JobRecord::requestId).containsExactly(
                tuple(JobRecordType.ERROR, 0L, "job-7-0"),
                tuple(JobRecordType.RESULT, 0L, "job-7-1"),
                tuple(JobRecordType.END, null, null));
        assertThat(lines.get(0).error().code()).isEqualTo("image_unavailable");
        assertThat(lines.get(2).status().counts()).isEqualTo(new JobCounts(2L, 2, 1, 1));
        assertThat(lines.get(2).status().state()).isEqualTo(JobState.PARTIALLY_COMPLETED);
    }

    @Test
    void resultsBeforeTheSpecAreParkedUntilItArrives() {
        sendResult(completed(JOB, 1, "first"));
        sendResult(completed(JOB, 1, "second delivery"));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 2, true)));
        sendResult(failed(JOB, 0, "image_invalid"));
        assertThat(records.isEmpty()).isTrue();
        assertThat(statuses.isEmpty()).isTrue(); // no status without the spec's fields
        assertThat(entries(JobProgressTopology.PARKED_STORE)).hasSize(2);

        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        assertThat(lines).extracting(JobRecord::type, JobRecord::seq, JobRecord::requestId).containsExactlyInAnyOrder(
                tuple(JobRecordType.RESULT, 0L, "job-7-1"),
                tuple(JobRecordType.ERROR, 0L, "job-7-0"),
                tuple(JobRecordType.END, null, null));
        assertThat(lines.get(2).type()).isEqualTo(JobRecordType.END);
        assertThat(lines).filteredOn(line -> "job-7-1".equals(line.requestId()))
                .extracting(JobRecord::text).containsExactly(Texts.of("first"));
        assertThat(decodeStatuses()).extracting(JobStatus::state).containsExactly(JobState.FINALIZING);
        assertThat(entries(JobProgressTopology.PARKED_STORE)).isEmpty();
    }

    @Test
    void cancelMovesThroughCancellingToCancelled() {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 3, false)));
        sendResult(completed(JOB, 0, "A cat."));
        statuses.readRecordsToList();

        send(cancellations, JOB, ContractCodec.CANCELLATIONS.encode(Cancellation.ofJob(JOB, "user")));
        send(cancellations, JOB, ContractCodec.CANCELLATIONS.encode(Cancellation.ofJob(JOB, "user again")));
        assertThat(decodeStatuses()).extracting(JobStatus::state).containsExactly(JobState.CANCELLING);

        sendResult(failed(JOB, 1, Cancellation.ERROR_CODE));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(cancelledPlan(JOB, 3)));
        sendResult(failed(JOB, 2, Cancellation.ERROR_CODE));
        assertThat(decodeStatuses()).extracting(JobStatus::state)
                .containsExactly(JobState.CANCELLING, JobState.CANCELLING, JobState.FINALIZING);
        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        JobStatus end = lines.get(lines.size() - 1).status();
        assertThat(end.state()).isEqualTo(JobState.CANCELLED);
        assertThat(end.counts()).isEqualTo(new JobCounts(3L, 3, 1, 2));

        send(cancellations, JOB, ContractCodec.CANCELLATIONS.encode(Cancellation.ofJob(JOB, "too late")));
        assertThat(statuses.isEmpty()).isTrue();
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        assertThat(decodeStatuses()).extracting(JobStatus::state).containsExactly(JobState.CANCELLED);
    }

    @Test
    void cancelBeforeTheSpecIsRememberedAndAJobCancelledBeforePlanningEndsCancelled() {
        send(cancellations, JOB, ContractCodec.CANCELLATIONS.encode(Cancellation.ofJob(JOB, "user")));
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(cancelledPlan(JOB, 0)));
        assertThat(decodeStatuses()).extracting(JobStatus::state)
                .containsExactly(JobState.CANCELLING, JobState.FINALIZING);
        assertThat(decodeRecords(records.readRecordsToList()).get(0).status().state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aPlanErrorFailsTheJob() {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(failedPlan(JOB, 1)));
        sendResult(completed(JOB, 0, "A cat."));
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));

        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        assertThat(lines.get(1).status().state()).isEqualTo(JobState.FAILED);
        assertThat(lines.get(1).status().error().code()).isEqualTo("input_unavailable");
        JobStatus last = decodeStatuses().get(3);
        assertThat(last.state()).isEqualTo(JobState.FAILED);
        assertThat(last.error()).isEqualTo(failedPlan(JOB, 1).error());
        assertThat(last.counts()).isEqualTo(new JobCounts(1L, 1, 1, 0));
    }

    @Test
    void aJobWhoseRecordsAllFailedFails() {
        JobStatus last = runToEnd(List.of(failed(JOB, 0, "image_invalid"), failed(JOB, 1, "invalid_record")));
        assertThat(last.state()).isEqualTo(JobState.FAILED);
        assertThat(last.error()).isNull();
        assertThat(last.counts()).isEqualTo(new JobCounts(2L, 2, 0, 2));
        assertThat(last.usage()).isEqualTo(JobUsage.NONE);
    }

    @Test
    void aJobWithSomeFailedRecordsIsPartiallyCompleted() {
        JobStatus last = runToEnd(List.of(failed(JOB, 0, "image_invalid"), completed(JOB, 1, "A cat.")));
        assertThat(last.state()).isEqualTo(JobState.PARTIALLY_COMPLETED);
        assertThat(last.usage()).isEqualTo(new JobUsage(101, 10, 111));
    }

    @Test
    void anEmptyJobCompletes() {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 0, true)));
        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).type()).isEqualTo(JobRecordType.END);
        assertThat(lines.get(0).status().state()).isEqualTo(JobState.COMPLETED);
        assertThat(lines.get(0).status().counts()).isEqualTo(new JobCounts(0L, 0, 0, 0));
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        assertThat(decodeStatuses()).extracting(JobStatus::state)
                .containsExactly(JobState.VALIDATING, JobState.FINALIZING, JobState.COMPLETED);
    }

    @Test
    void invalidValuesAreDeadLetteredAndProcessingGoesOn() {
        TestOutputTopic<byte[], byte[]> resultsDlq = driver.createOutputTopic(Topics.dlq(Topics.RESULTS),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> jobsDlq = driver.createOutputTopic(Topics.dlq(Topics.JOBS),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        byte[] badResult = "{\"request_id\":\"job-7-0\",\"job_id\":\"job-7\"}".getBytes(StandardCharsets.UTF_8);
        byte[] badSpec = "not json".getBytes(StandardCharsets.UTF_8);

        send(jobs, JOB, badSpec);
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 1, true)));
        send(results, "job-7-0", badResult);
        sendResult(completed(JOB, 0, "A cat."));

        TestRecord<byte[], byte[]> deadResult = resultsDlq.readRecord();
        assertThat(new String(deadResult.key(), StandardCharsets.UTF_8)).isEqualTo("job-7-0");
        assertThat(deadResult.value()).isEqualTo(badResult);
        assertThat(header(deadResult, DeadLetterHeaders.REASON))
                .startsWith("invalid kaption.results/v1 value:").contains("finish_reason");
        assertThat(header(deadResult, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(Topics.RESULTS);
        assertThat(header(deadResult, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(deadResult, DeadLetterHeaders.ERROR_CLASS))
                .isEqualTo("io.kaption.schemas.serde.InvalidRecordException");
        assertThat(resultsDlq.isEmpty()).isTrue();
        TestRecord<byte[], byte[]> deadSpec = jobsDlq.readRecord();
        assertThat(deadSpec.value()).isEqualTo(badSpec);
        assertThat(header(deadSpec, DeadLetterHeaders.REASON)).contains("not valid JSON");

        List<JobRecord> lines = decodeRecords(records.readRecordsToList());
        assertThat(lines).extracting(JobRecord::type).containsExactly(JobRecordType.RESULT, JobRecordType.END);
    }

    @Test
    void resultsOfNoJobAndTombstonesOfCompactedTopicsAreIgnored() {
        TestOutputTopic<byte[], byte[]> jobsDlq = driver.createOutputTopic(Topics.dlq(Topics.JOBS),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        send(jobs, JOB, null);
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 1, false)));
        statuses.readRecordsToList();
        send(results, "req-1", ContractCodec.RESULTS.encode(new GenerationResult("req-1",
                Texts.of("hi"), FinishReason.STOP, null, null, null, null, null,
                null, null, null, null)));
        send(cancellations, "req-1", ContractCodec.CANCELLATIONS.encode(new Cancellation("req-1", "gone")));
        assertThat(records.isEmpty()).isTrue();
        assertThat(statuses.isEmpty()).isTrue();
        assertThat(jobsDlq.isEmpty()).isTrue();
    }

    @Test
    void aJobsDedupAndParkingEntriesGoWhenItEndsAndLaterEventsChangeNothing() {
        String other = "job-77"; // shares a prefix with job-7 as a string
        sendResult(completed(other, 0, "parked"));
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 2, false)));
        sendResult(completed(JOB, 0, "A cat."));
        assertThat(entries(JobProgressTopology.SEEN_STORE)).containsExactly(
                KeyValue.pair(JobProgressProcessor.key(JOB, "job-7-0"), "RESULT"));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 2, true)));
        sendResult(failed(JOB, 1, "image_invalid"));
        assertThat(entries(JobProgressTopology.CLEANUP_STORE)).containsExactly(KeyValue.pair(JOB, JOB));

        driver.advanceWallClockTime(JobProgressProcessor.CLEANUP_INTERVAL);
        assertThat(entries(JobProgressTopology.SEEN_STORE)).isEmpty();
        assertThat(entries(JobProgressTopology.CLEANUP_STORE)).isEmpty();
        assertThat(entries(JobProgressTopology.PARKED_STORE)).extracting(entry -> entry.key)
                .containsExactly(JobProgressProcessor.key(other, "job-77-0"));
        records.readRecordsToList();
        statuses.readRecordsToList();

        sendResult(completed(JOB, 1, "a late redelivery"));
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        sendResult(completed(JOB, 0, "after the end"));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, 5, true)));
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        assertThat(records.isEmpty()).isTrue();
        List<JobStatus> after = decodeStatuses();
        assertThat(after).hasSize(1);
        assertThat(after.get(0).state()).isEqualTo(JobState.PARTIALLY_COMPLETED);
        assertThat(after.get(0).counts()).isEqualTo(new JobCounts(2L, 2, 1, 1));
        assertThat(entries(JobProgressTopology.SEEN_STORE)).isEmpty();
    }

    @Test
    void aLargeJobsDedupEntriesAreAllDeleted() {
        int size = 10_001; // more than one deletion batch
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, size, true)));
        List<KeyValue<String, byte[]>> lines = new ArrayList<>();
        for (int n = 0; n < size; n++) {
            lines.add(KeyValue.pair(JOB + "-" + n, ContractCodec.RESULTS.encode(completed(JOB, n, "t"))));
        }
        results.pipeKeyValueList(lines, at(second++), Duration.ofMillis(1));
        assertThat(entries(JobProgressTopology.SEEN_STORE)).as("deleted after the end, not in its transaction")
                .hasSize(size);

        driver.advanceWallClockTime(JobProgressProcessor.CLEANUP_INTERVAL);
        assertThat(entries(JobProgressTopology.SEEN_STORE)).as("one batch per punctuation")
                .hasSize(size - JobProgressProcessor.DELETE_BATCH);
        driver.advanceWallClockTime(JobProgressProcessor.CLEANUP_INTERVAL);
        assertThat(entries(JobProgressTopology.SEEN_STORE)).isEmpty();
        driver.advanceWallClockTime(JobProgressProcessor.CLEANUP_INTERVAL);
        assertThat(entries(JobProgressTopology.CLEANUP_STORE)).isEmpty();
        List<TestRecord<String, String>> written = records.readRecordsToList();
        assertThat(written).hasSize(size + 1);
        assertThat(decodeRecords(written.subList(size, size + 1)).get(0).status().counts())
                .isEqualTo(new JobCounts((long) size, size, size, 0));
    }

    /** Runs a job of these results to its outputs; returns its last status, checking the end record agrees. */
    private JobStatus runToEnd(List<GenerationResult> lines) {
        send(jobs, JOB, ContractCodec.JOBS.encode(spec(JOB)));
        send(plans, JOB, ContractCodec.JOB_PLANS.encode(plan(JOB, lines.size(), true)));
        lines.forEach(this::sendResult);
        send(jobOutputs, JOB, ContractCodec.JOB_OUTPUTS.encode(outputs(JOB)));
        List<JobRecord> written = decodeRecords(records.readRecordsToList());
        List<JobStatus> seen = decodeStatuses();
        JobStatus last = seen.get(seen.size() - 1);
        assertThat(written.get(written.size() - 1).status().state()).isEqualTo(last.state());
        return last;
    }

    private TestInputTopic<String, byte[]> input(String topic) {
        return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
    }

    private void send(TestInputTopic<String, byte[]> topic, String key, byte[] value) {
        topic.pipeInput(key, value, at(second++));
    }

    private void sendResult(GenerationResult result) {
        send(results, result.requestId(), ContractCodec.RESULTS.encode(result));
    }

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    private List<JobStatus> decodeStatuses() {
        return statuses.readRecordsToList().stream()
                .map(r -> ContractCodec.JOB_STATUS.decode(r.value().getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    private static List<JobRecord> decodeRecords(List<TestRecord<String, String>> read) {
        return read.stream()
                .map(r -> ContractCodec.JOB_RECORDS.decode(r.value().getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    private <V> List<KeyValue<String, V>> entries(String store) {
        KeyValueStore<String, V> kv = driver.getKeyValueStore(store);
        List<KeyValue<String, V>> all = new ArrayList<>();
        try (KeyValueIterator<String, V> it = kv.all()) {
            it.forEachRemaining(all::add);
        }
        return all;
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
