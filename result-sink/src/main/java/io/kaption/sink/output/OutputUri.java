package io.kaption.sink.output;

/**
 * A result's {@code output_uri}, {@code s3://bucket/key}. The key is taken literally (no percent-decoding), as the
 * contract writes it.
 */
public record OutputUri(String bucket, String key) {

    private static final String SCHEME = "s3://";

    public static OutputUri parse(String uri) {
        if (uri == null || !uri.startsWith(SCHEME)) {
            throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
        }
        int slash = uri.indexOf('/', SCHEME.length());
        if (slash <= SCHEME.length() || slash == uri.length() - 1) {
            throw new IllegalArgumentException("not an s3://bucket/key URI: " + uri);
        }
        return new OutputUri(uri.substring(SCHEME.length(), slash), uri.substring(slash + 1));
    }

    @Override
    public String toString() {
        return SCHEME + bucket + "/" + key;
    }
}
