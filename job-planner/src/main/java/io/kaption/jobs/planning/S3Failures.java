package io.kaption.jobs.planning;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/** Whether a failed S3 call can succeed when tried again, and what a permanent failure means for a job. */
final class S3Failures {

    /** 4xx codes S3 uses for conditions that pass on their own (slow requests, clock skew, expiring credentials). */
    private static final Set<String> TRANSIENT_CLIENT_ERRORS = Set.of(
            "RequestTimeout", "RequestTimeTooSkewed", "ExpiredToken", "OperationAborted", "SlowDown");
    private static final Set<String> NOT_FOUND = Set.of("NoSuchBucket", "NoSuchKey");

    private S3Failures() {
    }

    /**
     * Permanent: S3 refused the call for a reason trying again does not change (NoSuchBucket, NoSuchKey,
     * AccessDenied, …: a 4xx other than 408 and 429). Everything else — 5xx, throttling, I/O, timeouts — is transient.
     */
    static boolean isPermanent(Throwable failure) {
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

    /** The job error of a permanent failure reading {@code input}. */
    static InputUnreadableException inputError(String input, Throwable failure) {
        AwsServiceException service = (AwsServiceException) failure;
        String code = errorCode(service);
        boolean notFound = code != null ? NOT_FOUND.contains(code) : service.statusCode() == 404;
        return new InputUnreadableException(notFound ? InputUnreadableException.NOT_FOUND
                : InputUnreadableException.UNREADABLE, input + ": " + describe(failure));
    }

    /** S3's error code (e.g. {@code NoSuchBucket}), else the HTTP status or the exception's own message. */
    static String describe(Throwable failure) {
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
