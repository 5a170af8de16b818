package io.kaption.sink.output;

import io.kaption.kit.env.Env;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.topics.TopicProvisioner;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;

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
    public static final String S3_ENDPOINT = S3Clients.ENDPOINT;
    public static final String AWS_REGION = S3Clients.REGION;
    public static final String DEFAULT_REGION = S3Clients.DEFAULT_REGION;

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
    public static OutputsConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        return new OutputsConfig(
                env.bool(WRITE_OUTPUTS, true),
                S3Clients.endpoint(env),
                S3Clients.region(env),
                TopicProvisioner.Settings.fromEnvironment(variables));
    }

    public OutputsConfig withEnabled(boolean on) {
        return new OutputsConfig(on, s3Endpoint, awsRegion, topics);
    }

    public OutputsConfig withS3Endpoint(URI endpoint) {
        return new OutputsConfig(enabled, Optional.of(endpoint), awsRegion, topics);
    }

    /** A path-style client with the default credentials chain, like every service's. */
    public S3Client s3Client() {
        return S3Clients.create(s3Endpoint, awsRegion);
    }
}
