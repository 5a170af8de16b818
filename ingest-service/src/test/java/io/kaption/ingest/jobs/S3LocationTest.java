package io.kaption.ingest.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3LocationTest {

    @Test
    void splitsBucketAndKeyAsWritten() {
        assertThat(S3Location.parse("s3://my-bucket/cats/2024/")).isEqualTo(new S3Location("my-bucket", "cats/2024/"));
        assertThat(S3Location.parse("s3://my.bucket.01/a%20b/../c"))
                .isEqualTo(new S3Location("my.bucket.01", "a%20b/../c"));
        assertThat(S3Location.parse("s3://abc")).isEqualTo(new S3Location("abc", ""));
        assertThat(S3Location.parse("s3://abc/")).isEqualTo(new S3Location("abc", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ab", "Upper", "under_score", "-starts", "ends-", "two..dots", "192.168.1.10",
            "xn--bucket", "sthree-bucket", "bucket-s3alias", "bucket--ol-s3",
            "a-bucket-name-that-is-much-longer-than-sixty-three-characters-in-all"})
    void refusesBucketNamesS3Refuses(String bucket) {
        assertThat(S3Location.bucketProblem(bucket)).isPresent();
        assertThatThrownBy(() -> S3Location.parse("s3://" + bucket + "/key"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid S3 bucket name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "my-bucket", "my.bucket", "0bucket9", "a-b.c-d"})
    void acceptsValidBucketNames(String bucket) {
        assertThat(S3Location.bucketProblem(bucket)).isEmpty();
    }

    @Test
    void refusesOtherSchemesControlCharactersAndOverlongKeys() {
        assertThatThrownBy(() -> S3Location.parse("https://bucket/key")).hasMessageContaining("must be s3://");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/a\nb")).hasMessageContaining("control characters");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/" + "k".repeat(1025))).hasMessageContaining("1024");
        assertThat(S3Location.parse("s3://bucket/" + "k".repeat(1024)).key()).hasSize(1024);
    }

    @Test
    void outputsGoUnderPrefixSlashJobIdWithOrWithoutTheTrailingSlash() {
        assertThat(S3Location.parse("s3://b0b/out").outputPrefix("job-1")).isEqualTo("out/job-1/");
        assertThat(S3Location.parse("s3://b0b/out/").outputPrefix("job-1")).isEqualTo("out/job-1/");
        assertThat(S3Location.parse("s3://b0b").outputPrefix("job-1")).isEqualTo("job-1/");
    }
}
