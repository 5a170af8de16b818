package io.kaption.sink.output;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/** Whether a failed S3 put can succeed when tried again, and how to name the failure. */
public final class PutFailures {

    /** 4xx codes S3 uses for conditions that pass on their own (slow uploads, clock skew, expiring credentials). */
    private static final Set<String> TRANSIENT_CLIENT_ERRORS = Set.of(
            "RequestTimeout", "RequestTimeTooSkewed", "ExpiredToken", "OperationAborted", "SlowDown");

    private PutFailures() {
    }

    /**
     * Permanent: S3 refused the put for a reason trying again does not change (NoSuchBucket, AccessDenied,
     * InvalidBucketName: a 4xx other than 408 and 429). Everything else — 5xx, throttling, I/O, timeouts — is
     * transient.
     */
    public static boolean isPermanent(Throwable failure) {
        if (!(failure instanceof AwsServiceException service)
                || service.awsErrorDetails() != null && service.isThrottlingException()) {
            return false;
        }
        int status = service.statusCode();
        if (status < 400 || status >= 500 || status == 408 || status == 429) {
            return false;
        }
        String code = errorCode(service);
        return code == null || !TRANSIENT_CLIENT_ERRORS.contains(code);
    }

    /** S3's error code (e.g. {@code NoSuchBucket}), else the HTTP status or the exception's own message. */
    public static String describe(Throwable failure) {
        if (failure instanceof AwsServiceException service) {
            String code = errorCode(service);
            return code != null ? code : "HTTP " + service.statusCode();
        }
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    private static String errorCode(AwsServiceException service) {
        return service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
    }
}
