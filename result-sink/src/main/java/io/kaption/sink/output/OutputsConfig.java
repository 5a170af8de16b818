package io.kaption.sink.output;

import io.kaption.schemas.topics.TopicProvisioner;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Settings of the sink's {@link OutputWriter}.
 *
 * @param enabled    whether the sink writes results with an {@code output_uri} to S3
 * @param s3Endpoint S3 endpoint override (path-style), or empty for AWS's own
 * @param awsRegion  region of the S3 client
 * @param topics     partitions and replication of {@code <results topic>.dlq} when the writer creates it
 */
public record OutputsConfig(boolean enabled, Optional<URI> s3Endpoint, String awsRegion,
                            TopicProvisioner.Settings topics) {

    public static final String WRITE_OUTPUTS = "KAPTION_SINK_WRITE_OUTPUTS";
    public static final String S3_ENDPOINT = "KAPTION_S3_ENDPOINT";
    public static final String AWS_REGION = "AWS_REGION";
    public static final String DEFAULT_REGION = "us-east-1";

    public OutputsConfig {
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(awsRegion, "awsRegion");
        Objects.requireNonNull(topics, "topics");
    }

    /** Enabled, AWS's own S3 endpoint in us-east-1, the default topic settings. */
    public static OutputsConfig defaults() {
        return new OutputsConfig(true, Optional.empty(), DEFAULT_REGION, TopicProvisioner.Settings.fromEnvironment(
                Map.of()));
    }

    /**
     * {@value #WRITE_OUTPUTS} ({@code true}/{@code false}, default true), {@value #S3_ENDPOINT}, {@value #AWS_REGION},
     * and the topic settings {@code KAPTION_TOPIC_PARTITIONS}, {@code KAPTION_TOPIC_REPLICATION}.
     */
    public static OutputsConfig fromEnvironment(Map<String, String> env) {
        return new OutputsConfig(
                bool(env, WRITE_OUTPUTS, true),
                value(env, S3_ENDPOINT).map(URI::create),
                value(env, AWS_REGION).orElse(DEFAULT_REGION),
                TopicProvisioner.Settings.fromEnvironment(env));
    }

    public OutputsConfig withEnabled(boolean on) {
        return new OutputsConfig(on, s3Endpoint, awsRegion, topics);
    }

    public OutputsConfig withS3Endpoint(URI endpoint) {
        return new OutputsConfig(enabled, Optional.of(endpoint), awsRegion, topics);
    }

    /** A path-style client with the default credentials chain, like the worker's. */
    public S3Client s3Client() {
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(awsRegion))
                .forcePathStyle(true);
        s3Endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static Optional<String> value(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::trim).filter(v -> !v.isEmpty());
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        Optional<String> value = value(env, name);
        if (value.isEmpty()) {
            return fallback;
        }
        if (value.get().equalsIgnoreCase("true")) {
            return true;
        }
        if (value.get().equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException(name + " must be true or false, got '" + env.get(name) + "'");
    }
}
