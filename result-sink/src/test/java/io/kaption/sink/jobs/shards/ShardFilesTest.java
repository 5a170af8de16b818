package io.kaption.sink.jobs.shards;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.jobs.JobCounts;
import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardFilesTest {

    @Test
    void resultAndErrorLinesHaveTheDesignsFieldsInOrder() {
        assertThat(new String(ShardFiles.line(JobLines.result("job-1", "s3://o/p", 9)), UTF_8))
                .isEqualTo("{\"record_id\":\"images/r9.png\",\"image_url\":\"s3://in/images/r9.png\",\"text\":"
                        + "\"caption 9\",\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":10,"
                        + "\"completion_tokens\":2,\"total_tokens\":12},\"request_id\":\"job-1-r9\"}");
        assertThat(new String(ShardFiles.line(JobLines.error("job-1", "s3://o/p", 3)), UTF_8))
                .isEqualTo("{\"record_id\":\"images/e3.png\",\"image_url\":\"s3://in/images/e3.png\",\"error\":"
                        + "{\"code\":\"image_invalid\",\"message\":\"not an image: e3\"},\"request_id\":\"job-1-e3\"}");
    }

    @Test
    void listTextsNonAsciiAndMissingImageUrlAreWrittenAsJson() {
        JobRecord record = new JobRecord("job-1", JobRecordType.RESULT, "s3://o", 0L, "job-1-0", "line-1", null,
                Texts.ofList(List.of("un chat gris é", "\"q\"\n")), FinishReason.LENGTH,
                new GenerationResult.Usage(1, 2, 3), null, null);
        assertThat(new String(ShardFiles.line(record), UTF_8)).isEqualTo("{\"record_id\":\"line-1\",\"image_url\":null,"
                + "\"text\":[\"un chat gris é\",\"\\\"q\\\"\\n\"],\"finish_reason\":\"length\",\"usage\":"
                + "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3},\"request_id\":\"job-1-0\"}");
    }

    @Test
    void aShardIsItsLinesEachEndedByANewline() {
        assertThat(new String(ShardFiles.shard(List.of("{\"a\":1}".getBytes(UTF_8), "{\"b\":2}".getBytes(UTF_8))),
                UTF_8)).isEqualTo("{\"a\":1}\n{\"b\":2}\n");
        assertThat(ShardFiles.shard(List.of())).isEmpty();
    }

    @Test
    void shardNamesAndCounts() {
        assertThat(ShardFiles.shardName(JobRecordType.RESULT, 0)).isEqualTo("results-00000.jsonl");
        assertThat(ShardFiles.shardName(JobRecordType.ERROR, 123)).isEqualTo("errors-00123.jsonl");
        assertThat(ShardFiles.shardCount(0, 1000)).isZero();
        assertThat(ShardFiles.shardCount(1, 1000)).isEqualTo(1);
        assertThat(ShardFiles.shardCount(1000, 1000)).isEqualTo(1);
        assertThat(ShardFiles.shardCount(1001, 1000)).isEqualTo(2);
        assertThat(ShardFiles.shardCount(2500, 1000)).isEqualTo(3);
    }

    @Test
    void manifestListsEveryShardFromTheCounts() {
        String manifest = new String(ShardFiles.manifest(JobLines.endStatus("job-1", "s3://o/p/", 2500, 30), 1000),
                UTF_8);
        assertThat(manifest).isEqualTo("{\"job_id\":\"job-1\",\"state\":\"partially_completed\",\"input\":"
                + "\"s3://in/images/\",\"input_format\":\"images\",\"output\":\"s3://o/p/\",\"consumer_group\":"
                + "\"primary\",\"created_at\":\"2025-01-02T03:04:05Z\",\"finished_at\":\"2025-01-02T04:05:06.789Z\","
                + "\"counts\":{\"total\":2530,\"completed\":2500,\"failed\":30},\"usage\":{\"prompt_tokens\":25000,"
                + "\"completion_tokens\":7500,\"total_tokens\":32500},\"results\":["
                + "\"s3://o/p/job-1/results-00000.jsonl\",\"s3://o/p/job-1/results-00001.jsonl\","
                + "\"s3://o/p/job-1/results-00002.jsonl\"],\"errors\":[\"s3://o/p/job-1/errors-00000.jsonl\"]}");
    }

    @Test
    void manifestOfAFailedEmptyJobHasItsErrorAndNoShards() {
        JobStatus base = JobLines.endStatus("job-2", "s3://o", 0, 0);
        JobStatus failed = new JobStatus(base.jobId(), JobState.FAILED, base.input(), base.inputFormat(),
                base.output(), base.consumerGroup(), null, base.createdAt(), base.updatedAt(), null,
                new JobCounts(null, 0, 0, 0), base.usage(), new GenerationResult.Failure("input_unavailable",
                "NoSuchBucket"), null);
        assertThat(new String(ShardFiles.manifest(failed, 1000), UTF_8)).isEqualTo("{\"job_id\":\"job-2\","
                + "\"state\":\"failed\",\"input\":\"s3://in/images/\",\"input_format\":\"images\",\"output\":\"s3://o\","
                + "\"consumer_group\":\"primary\",\"created_at\":\"2025-01-02T03:04:05Z\",\"finished_at\":"
                + "\"2025-01-02T04:05:06.789Z\",\"counts\":{\"total\":0,\"completed\":0,\"failed\":0},\"usage\":"
                + "{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0},\"error\":{\"code\":"
                + "\"input_unavailable\",\"message\":\"NoSuchBucket\"},\"results\":[],\"errors\":[]}");
    }
}
