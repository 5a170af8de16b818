package io.kaption.kit.s3;

import io.kaption.kit.env.Env;
import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** The S3 client every service builds the same way, and the two variables that configure it. */
public final class S3Clients {

    /** S3 endpoint override, path-style (S3Proxy, MinIO, …); unset: AWS's own endpoint of the region. */
    public static final String ENDPOINT = "KAPTION_S3_ENDPOINT";
    public static final String REGION = "AWS_REGION";
    public static final String DEFAULT_REGION = "us-east-1";

    private S3Clients() {
    }

    /** {@value #ENDPOINT}: an http(s) URL, or empty. */
    public static Optional<URI> endpoint(Env env) {
        return env.httpUrl(ENDPOINT);
    }

    /** {@value #REGION}, default {@value #DEFAULT_REGION}. */
    public static String region(Env env) {
        return env.string(REGION, DEFAULT_REGION);
    }

    /**
     * A path-style client on the SDK's default Apache HTTP client with the AWS SDK's default credentials chain
     * (environment, profile, web identity, instance role). Path style, so that S3-compatible stores need no wildcard
     * DNS. Not the JDK's URL-connection client: in CI a PUT against S3Proxy failed with "Error writing request body
     * to server" on all four SDK attempts, most likely on pooled keep-alive connections the server had closed, which
     * that client does not check before sending ({@code Expect: 100-continue}); the Apache pool validates idle
     * connections before reuse.
     */
    public static S3Client create(Optional<URI> endpoint, String region) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(Apache5HttpClient.builder())
                .region(Region.of(region))
                .forcePathStyle(true);
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }
}
