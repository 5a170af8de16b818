package io.kaption.sink.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class PutFailuresTest {

    private static S3Exception s3(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
    }

    @Test
    void refusalsThatDoNotChangeOnRetryArePermanent() {
        assertThat(PutFailures.isPermanent(s3(404, "NoSuchBucket"))).isTrue();
        assertThat(PutFailures.isPermanent(s3(403, "AccessDenied"))).isTrue();
        assertThat(PutFailures.isPermanent(s3(400, "InvalidBucketName"))).isTrue();
        assertThat(PutFailures.isPermanent(NoSuchBucketException.builder().statusCode(404).build())).isTrue();
    }

    @Test
    void serverErrorsThrottlingTimeoutsAndIoAreTransient() {
        assertThat(PutFailures.isPermanent(s3(500, "InternalError"))).isFalse();
        assertThat(PutFailures.isPermanent(s3(503, "SlowDown"))).isFalse();
        assertThat(PutFailures.isPermanent(s3(429, "TooManyRequests"))).isFalse();
        assertThat(PutFailures.isPermanent(s3(408, "RequestTimeout"))).isFalse();
        assertThat(PutFailures.isPermanent(s3(400, "RequestTimeout"))).isFalse();
        assertThat(PutFailures.isPermanent(s3(403, "RequestTimeTooSkewed"))).isFalse();
        assertThat(PutFailures.isPermanent(SdkClientException.create("Unable to execute HTTP request",
                new SocketTimeoutException("Read timed out")))).isFalse();
        assertThat(PutFailures.isPermanent(new UncheckedIOException(new java.io.IOException("reset")))).isFalse();
    }

    @Test
    void namesTheFailureByS3sErrorCode() {
        assertThat(PutFailures.describe(s3(404, "NoSuchBucket"))).isEqualTo("NoSuchBucket");
        assertThat(PutFailures.describe(S3Exception.builder().statusCode(502).build())).isEqualTo("HTTP 502");
        assertThat(PutFailures.describe(SdkClientException.create("Unable to execute HTTP request")))
                .isEqualTo("SdkClientException: Unable to execute HTTP request");
    }
}
