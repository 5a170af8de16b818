package io.kaption.jobs.planning;

/**
 * A job's {@code input}: {@code s3://bucket} or {@code s3://bucket/<key or prefix>}. The key is taken literally (no
 * percent-decoding), as the job contract writes it; it is empty for a whole bucket.
 */
record S3Location(String bucket, String key) {

    private static final String SCHEME = "s3://";

    static S3Location parse(String uri) {
        if (uri == null || !uri.startsWith(SCHEME)) {
            throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
        }
        int slash = uri.indexOf('/', SCHEME.length());
        String bucket = slash < 0 ? uri.substring(SCHEME.length()) : uri.substring(SCHEME.length(), slash);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
        }
        return new S3Location(bucket, slash < 0 ? "" : uri.substring(slash + 1));
    }

    /** {@code s3://<bucket>/<key>} of an object in this location's bucket. */
    String objectUri(String objectKey) {
        return SCHEME + bucket + "/" + objectKey;
    }

    @Override
    public String toString() {
        return SCHEME + bucket + "/" + key;
    }
}
