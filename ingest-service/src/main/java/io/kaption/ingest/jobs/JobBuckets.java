package io.kaption.ingest.jobs;

import io.kaption.ingest.http.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Refuses, before anything is published, a job whose input or output bucket does not exist: without it the input
 * would fail only once planned, and the outputs could never be written (the job would stay {@code finalizing}).
 * Only a definite "no such bucket" refuses: a bucket this service may not look at (403: the sink and the workers may
 * hold other credentials) or an S3 that does not answer lets the job through, to fail later with its reason.
 */
final class JobBuckets {

    private static final Logger LOG = LoggerFactory.getLogger(JobBuckets.class);

    private final S3Client s3;

    JobBuckets(S3Client s3) {
        this.s3 = s3;
    }

    /** Blocking: one HeadBucket per bucket. */
    void requireExisting(JobSubmission submission) {
        String input = S3Location.parse(submission.input()).bucket();
        String output = S3Location.parse(submission.output()).bucket();
        require(input, "input_not_found", "the input bucket '" + input + "' does not exist");
        if (!output.equals(input)) {
            require(output, "output_bucket_not_found", "the output bucket '" + output + "' does not exist; "
                    + "create it first (the job's shards and manifest are written there)");
        }
    }

    private void require(String bucket, String code, String message) {
        try {
            s3.headBucket(request -> request.bucket(bucket));
        } catch (NoSuchBucketException e) {
            throw ApiException.badRequest(code, message);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw ApiException.badRequest(code, message);
            }
            LOG.info("bucket {} not checked (S3 answered {}); the job goes on", bucket, e.statusCode());
        } catch (SdkException e) {
            LOG.warn("bucket {} not checked ({}); the job goes on", bucket, e.toString());
        }
    }
}
