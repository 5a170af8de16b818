package io.kaption.sink.jobs.shards;

/**
 * Where a job's outputs go: {@code <output>/<job_id>/<name>}. A job's {@code output} is {@code s3://bucket} or
 * {@code s3://bucket/prefix}, with or without a trailing slash: {@code s3://b/p} and {@code s3://b/p/} both put the
 * files under {@code s3://b/p/<job_id>/}.
 */
record JobOutputLocation(String bucket, String prefix, String jobId) {

    private static final String SCHEME = "s3://";

    /** @throws IllegalArgumentException when {@code output} is not {@code s3://bucket[/prefix]} */
    static JobOutputLocation of(String output, String jobId) {
        if (output == null || !output.startsWith(SCHEME)) {
            throw new IllegalArgumentException("a job output is s3://bucket/prefix, got: " + output);
        }
        String rest = output.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("a job output is s3://bucket/prefix, got: " + output);
        }
        return new JobOutputLocation(bucket, prefix, jobId);
    }

    /** The object key of {@code name} in the job's folder. */
    String key(String name) {
        return (prefix.isEmpty() ? "" : prefix + "/") + jobId + "/" + name;
    }

    /** {@code s3://bucket/key} of {@code name} in the job's folder. */
    String uri(String name) {
        return SCHEME + bucket + "/" + key(name);
    }
}
