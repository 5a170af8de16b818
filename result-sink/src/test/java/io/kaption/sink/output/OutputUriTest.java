package io.kaption.sink.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OutputUriTest {

    @Test
    void splitsBucketAndKeyAtTheFirstSlash() {
        assertThat(OutputUri.parse("s3://kaption-outputs/job-7/rec 42%20.json"))
                .isEqualTo(new OutputUri("kaption-outputs", "job-7/rec 42%20.json"));
        assertThat(OutputUri.parse("s3://b.c-d/k")).isEqualTo(new OutputUri("b.c-d", "k"));
        assertThat(OutputUri.parse("s3://bucket/a/b/").toString()).isEqualTo("s3://bucket/a/b/");
    }

    @Test
    void refusesWhatIsNotBucketAndKey() {
        for (String bad : new String[] {"https://bucket/key", "s3://bucket", "s3://bucket/", "s3:///key", "s3:/b/k"}) {
            assertThatThrownBy(() -> OutputUri.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not an s3://bucket/key URI: " + bad);
        }
    }
}
