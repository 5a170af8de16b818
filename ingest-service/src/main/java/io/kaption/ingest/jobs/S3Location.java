package io.kaption.ingest.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An {@code s3://bucket/key} of a job's input or output; {@code key} may be empty (the whole bucket) and is taken as
 * written (S3 keys are plain strings: no percent-decoding, no dot segments).
 */
public record S3Location(String bucket, String key) {

    static final int MAX_KEY_BYTES = 1024;

    private static final Pattern BUCKET_CHARACTERS = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    /** {@code uri} as a location, or why it is not one. */
    public static S3Location parse(String uri) {
        if (!uri.startsWith("s3://")) {
            throw new IllegalArgumentException("must be s3://bucket/prefix, got '" + uri + "'");
        }
        String rest = uri.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        bucketProblem(bucket).ifPresent(problem -> {
            throw new IllegalArgumentException("'" + bucket + "' is not a valid S3 bucket name: " + problem);
        });
        if (key.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("the key has control characters");
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("the key is longer than S3's " + MAX_KEY_BYTES + " bytes");
        }
        return new S3Location(bucket, key);
    }

    /** What is wrong with {@code bucket} by S3's naming rules for general purpose buckets, if anything. */
    static Optional<String> bucketProblem(String bucket) {
        if (bucket.length() < 3 || bucket.length() > 63) {
            return Optional.of("a bucket name has 3 to 63 characters");
        }
        if (!BUCKET_CHARACTERS.matcher(bucket).matches()) {
            return Optional.of("a bucket name has only lowercase letters, digits, dots and hyphens, and begins and "
                    + "ends with a letter or digit");
        }
        if (bucket.contains("..")) {
            return Optional.of("a bucket name has no two adjacent dots");
        }
        if (IP_ADDRESS.matcher(bucket).matches()) {
            return Optional.of("a bucket name is not formatted as an IP address");
        }
        if (bucket.startsWith("xn--") || bucket.startsWith("sthree-") || bucket.endsWith("-s3alias")
                || bucket.endsWith("--ol-s3")) {
            return Optional.of("the prefixes xn-- and sthree- and the suffixes -s3alias and --ol-s3 are reserved");
        }
        return Optional.empty();
    }

    /**
     * The key prefix a job's outputs get under this output location: {@code s3://b/p} and {@code s3://b/p/} both give
     * {@code p/<job_id>/}, {@code s3://b} gives {@code <job_id>/}.
     */
    String outputPrefix(String jobId) {
        return (key.isEmpty() || key.endsWith("/") ? key : key + "/") + jobId + "/";
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}
