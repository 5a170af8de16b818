package io.kaption.kit.s3;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * A bucket a service writes its own objects to and creates when missing (a fresh S3, as {@code bin/kaption local}'s,
 * has none). Checked until it first succeeds, so that S3 being down at start does not stop requests that never need
 * the bucket.
 */
public final class BucketOnDemand {

    private static final Logger LOG = LoggerFactory.getLogger(BucketOnDemand.class);

    private final S3Client s3;
    private final String bucket;
    /** What the bucket is for, in log lines ("image", "files"). */
    private final String purpose;
    private volatile boolean ready;

    public BucketOnDemand(S3Client s3, String bucket, String purpose) {
        this.s3 = s3;
        this.bucket = bucket;
        this.purpose = purpose;
    }

    /** The bucket exists (created now if it was missing); false while S3 cannot tell, logged. */
    public boolean ensure() {
        if (ready) {
            return true;
        }
        try {
            try {
                s3.headBucket(b -> b.bucket(bucket));
            } catch (NoSuchBucketException e) {
                s3.createBucket(b -> b.bucket(bucket));
                LOG.info("created {} bucket {}", purpose, bucket);
            }
            ready = true;
        } catch (SdkException e) {
            LOG.warn("{} bucket {} is not usable yet: {}", purpose, bucket, e.getMessage());
        }
        return ready;
    }
}
