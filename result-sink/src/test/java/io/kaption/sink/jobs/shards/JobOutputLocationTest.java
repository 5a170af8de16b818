package io.kaption.sink.jobs.shards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JobOutputLocationTest {

    @Test
    void prefixWithAndWithoutTrailingSlashGiveTheSameFolder() {
        JobOutputLocation plain = JobOutputLocation.of("s3://b/out/run", "job-1");
        JobOutputLocation slashed = JobOutputLocation.of("s3://b/out/run/", "job-1");
        assertThat(plain).isEqualTo(slashed);
        assertThat(plain.bucket()).isEqualTo("b");
        assertThat(plain.key("manifest.json")).isEqualTo("out/run/job-1/manifest.json");
        assertThat(slashed.uri("results-00000.jsonl")).isEqualTo("s3://b/out/run/job-1/results-00000.jsonl");
    }

    @Test
    void bareBucketPutsTheJobFolderAtTheTop() {
        assertThat(JobOutputLocation.of("s3://b", "job-1").uri("manifest.json")).isEqualTo("s3://b/job-1/manifest.json");
        assertThat(JobOutputLocation.of("s3://b/", "job-1").key("manifest.json")).isEqualTo("job-1/manifest.json");
    }

    @Test
    void refusesWhatIsNotAnS3Prefix() {
        assertThatThrownBy(() -> JobOutputLocation.of("https://b/p", "job-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JobOutputLocation.of("s3:///p", "job-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JobOutputLocation.of(null, "job-1")).isInstanceOf(IllegalArgumentException.class);
    }
}
