package io.kaption.ingest.files;

import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.jobs.S3Location;
import io.kaption.kit.s3.BucketOnDemand;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The objects under {@code KAPTION_FILES_URI}, by key relative to it: blocking calls, S3 failures answered as 503
 * {@code file_store_unavailable}.
 */
public final class S3Objects {

    private final S3Client s3;
    private final S3Location root;
    private final BucketOnDemand bucket;

    public S3Objects(S3Client s3, S3Location root) {
        this.s3 = s3;
        this.root = root;
        this.bucket = new BucketOnDemand(s3, root.bucket(), "files");
    }

    /** The files bucket exists (see {@link BucketOnDemand}); false while S3 is down. */
    public boolean ensureBucket() {
        return bucket.ensure();
    }

    /** {@code s3://bucket/<root><key>}. */
    public String uri(String key) {
        return "s3://" + root.bucket() + "/" + root.key() + key;
    }

    public void put(String key, byte[] bytes, String contentType) {
        call(() -> {
            requireBucket();
            return s3.putObject(b -> b.bucket(root.bucket()).key(root.key() + key).contentType(contentType),
                    RequestBody.fromBytes(bytes));
        });
    }

    public Optional<byte[]> get(String key) {
        return call(() -> {
            try {
                return Optional.of(s3.getObjectAsBytes(b -> b.bucket(root.bucket()).key(root.key() + key))
                        .asByteArray());
            } catch (NoSuchKeyException | NoSuchBucketException e) {
                return Optional.empty();
            }
        });
    }

    /** An object anywhere in S3 (a job's shards and manifest), by its {@code s3://} URI. */
    public Optional<byte[]> getUri(String uri) {
        S3Location location = S3Location.parse(uri);
        return call(() -> {
            try {
                return Optional.of(s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(location.key()))
                        .asByteArray());
            } catch (NoSuchKeyException e) {
                return Optional.empty();
            }
        });
    }

    public void delete(String key) {
        call(() -> s3.deleteObject(b -> b.bucket(root.bucket()).key(root.key() + key)));
    }

    /**
     * Up to {@code max} keys (relative) under {@code prefix} after {@code startAfter} (relative; null from the
     * start), in ascending order.
     */
    public List<String> keys(String prefix, String startAfter, int max) {
        return call(() -> {
            try {
                ListObjectsV2Response page = s3.listObjectsV2(b -> {
                    b.bucket(root.bucket()).prefix(root.key() + prefix).maxKeys(max);
                    if (startAfter != null) {
                        b.startAfter(root.key() + startAfter);
                    }
                });
                return page.contents().stream().map(S3Object::key)
                        .map(key -> key.substring(root.key().length())).toList();
            } catch (NoSuchBucketException e) {
                return List.of();
            }
        });
    }

    private void requireBucket() {
        if (!ensureBucket()) {
            throw unavailable(null);
        }
    }

    private static <T> T call(Supplier<T> operation) {
        try {
            return operation.get();
        } catch (SdkException e) {
            throw unavailable(e);
        }
    }

    private static ApiException unavailable(SdkException cause) {
        return new ApiException(503, "file_store_unavailable", "the file store (S3) did not answer"
                + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }
}
