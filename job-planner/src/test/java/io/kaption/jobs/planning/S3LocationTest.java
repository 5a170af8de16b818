package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class S3LocationTest {

    @Test
    void splitsBucketAndKeyLiterally() {
        assertThat(S3Location.parse("s3://bucket/a/b c%20.png")).isEqualTo(new S3Location("bucket", "a/b c%20.png"));
        assertThat(S3Location.parse("s3://bucket/photos/")).isEqualTo(new S3Location("bucket", "photos/"));
        assertThat(S3Location.parse("s3://bucket/")).isEqualTo(new S3Location("bucket", ""));
        assertThat(S3Location.parse("s3://bucket")).isEqualTo(new S3Location("bucket", ""));
        assertThat(new S3Location("bucket", "photos/").objectUri("photos/1.png")).isEqualTo("s3://bucket/photos/1.png");
    }

    @Test
    void rejectsWhatIsNoS3Uri() {
        assertThatThrownBy(() -> S3Location.parse("https://bucket/k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Location.parse("s3:///k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Location.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
