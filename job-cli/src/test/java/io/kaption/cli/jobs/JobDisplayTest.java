package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/** Progress line, summary and table as functions of the job JSON (kaption.job-status/v1). */
class JobDisplayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode job(String state, String counts) {
        return job(state, counts, "");
    }

    /** A job as GET /v1/jobs/{id} answers it; {@code extra} adds fields (a leading comma each). */
    static JsonNode job(String state, String counts, String extra) {
        try {
            return JSON.readTree("{\"job_id\":\"job-0123456789abcdef0123456789abcdef\",\"state\":\"" + state + "\","
                    + "\"input\":\"s3://photos/2024/\",\"input_format\":\"images\",\"output\":\"s3://out/run\","
                    + "\"consumer_group\":\"primary\",\"created_at\":\"2024-06-01T10:15:30.123456Z\","
                    + "\"updated_at\":\"2024-06-01T10:20:00Z\",\"counts\":" + counts + ","
                    + "\"usage\":{\"prompt_tokens\":57600,\"completion_tokens\":9000,\"total_tokens\":66600}"
                    + extra + ",\"a_field_from_a_later_v1\":true}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void progressCountsRecordsWithALineOfEitherKindAgainstTheTotal() {
        assertThat(JobDisplay.progressLine(job("in_progress",
                "{\"total\":1000,\"planned\":1000,\"completed\":509,\"failed\":3}")))
                .isEqualTo("[##########..........] 512/1000 done, 3 failed · in_progress");
        assertThat(JobDisplay.progressLine(job("finalizing",
                "{\"total\":1000,\"planned\":1000,\"completed\":997,\"failed\":3}")))
                .isEqualTo("[####################] 1000/1000 done, 3 failed · finalizing");
        assertThat(JobDisplay.progressLine(job("in_progress",
                "{\"total\":3,\"planned\":3,\"completed\":1,\"failed\":0}")))
                .isEqualTo("[######..............] 1/3 done, 0 failed · in_progress");
    }

    @Test
    void beforePlanningIsDoneTheBarStaysEmptyAndThePlannedCountIsShown() {
        assertThat(JobDisplay.progressLine(job("in_progress", "{\"planned\":2000,\"completed\":40,\"failed\":1}")))
                .isEqualTo("[....................] 41/? done, 1 failed · in_progress (2000 planned so far)");
        assertThat(JobDisplay.progressLine(job("validating", "{\"planned\":0,\"completed\":0,\"failed\":0}")))
                .isEqualTo("[....................] 0/? done, 0 failed · validating (0 planned so far)");
    }

    @Test
    void anEmptyJobIsAFullBar() {
        assertThat(JobDisplay.progressLine(job("completed", "{\"total\":0,\"planned\":0,\"completed\":0,\"failed\":0}")))
                .isEqualTo("[####################] 0/0 done, 0 failed · completed");
    }

    @Test
    void theSummaryOfAFinishedJobNamesItsManifest() {
        assertThat(JobDisplay.summary(job("partially_completed",
                "{\"total\":1000,\"planned\":1000,\"completed\":997,\"failed\":3}",
                ",\"finished_at\":\"2024-06-01T10:31:02Z\","
                        + "\"manifest_uri\":\"s3://out/run/job-0123456789abcdef0123456789abcdef/manifest.json\"")))
                .containsExactly(
                        "job:       job-0123456789abcdef0123456789abcdef",
                        "state:     partially_completed",
                        "records:   1000 total, 997 completed, 3 failed",
                        "tokens:    57600 prompt, 9000 completion, 66600 total",
                        "input:     s3://photos/2024/ (images)",
                        "output:    s3://out/run",
                        "group:     primary",
                        "created:   2024-06-01T10:15:30.123456Z",
                        "finished:  2024-06-01T10:31:02Z",
                        "manifest:  s3://out/run/job-0123456789abcdef0123456789abcdef/manifest.json");
    }

    @Test
    void theSummaryOfAJobThatFailedAsAWholeSaysWhy() {
        assertThat(JobDisplay.summary(job("in_progress", "{\"planned\":5,\"completed\":2,\"failed\":0}",
                ",\"error\":{\"code\":\"input_not_found\",\"message\":\"no bucket photos\"}")))
                .contains("records:   ? total (5 planned so far), 2 completed, 0 failed",
                        "error:     input_not_found: no bucket photos")
                .noneMatch(line -> line.startsWith("manifest:") || line.startsWith("finished:"));
    }

    @Test
    void theTableHasOneAlignedRowPerJob() throws IOException {
        JsonNode data = JSON.readTree("[" + job("in_progress", "{\"planned\":20,\"completed\":7,\"failed\":1}") + ","
                + JSON.readTree("{\"job_id\":\"job-b\",\"state\":\"completed\",\"created_at\":\"2024-05-31T23:00:00Z\","
                + "\"counts\":{\"total\":12000,\"planned\":12000,\"completed\":12000,\"failed\":0}}") + "]");

        assertThat(JobDisplay.table(data)).containsExactly(
                "ID                                    STATE        COMPLETED/TOTAL  FAILED  CREATED",
                "job-0123456789abcdef0123456789abcdef  in_progress  7/?              1       2024-06-01T10:15:30Z",
                "job-b                                 completed    12000/12000      0       2024-05-31T23:00:00Z");
    }

    @Test
    void anEmptyListIsTheHeaderAlone() throws IOException {
        assertThat(JobDisplay.table(JSON.readTree("[]")))
                .containsExactly("ID  STATE  COMPLETED/TOTAL  FAILED  CREATED");
    }
}
