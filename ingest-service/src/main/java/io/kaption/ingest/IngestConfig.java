package io.kaption.ingest;

import io.kaption.apikeys.ApiAccess;
import io.kaption.events.RequestEventHub;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.batches.BatchApiConfig;
import io.kaption.jobs.planning.JobPlannerConfig;
import io.kaption.kit.env.Env;
import io.kaption.kit.kafka.KafkaConnection;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.topics.TopicProvisioner;


import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the ingest service can be told, read from environment variables (see {@code ingest-service/README.md}).
 *
 * @param host                  address the HTTP server binds to
 * @param port                  HTTP port; 0 picks a free one
 * @param kafka                 Kafka bootstrap servers and client properties (security)
 * @param s3Endpoint            S3 endpoint override (path-style); empty = the AWS default endpoint of the region
 * @param awsRegion             AWS region of the S3 client
 * @param imageBucket           bucket that holds images too large to travel inside a record (claim check)
 * @param inlineImageMaxBytes   images up to this size travel inside the record as a {@code data:} URL
 * @param maxBodyBytes          largest HTTP request body accepted
 * @param publishTimeout        how long Kafka may take to accept a request (metadata wait and delivery each)
 * @param resultTimeout         how long a blocking request waits for its result, and a stream for its next event
 * @param events                the request event hub (same bootstrap servers; history window and size)
 * @param sinkPublicUrl         base URL of the result sink as clients reach it, for the URLs {@code /v1/requests} returns
 * @param images                image intake settings (remote images, size and pixel caps)
 * @param topics                partitions and replication of the job topics ingest creates at start
 * @param jobPlanner            the job planner this process runs, if any
 * @param access                API keys and their rate limit ({@code KAPTION_API_KEYS}, {@code KAPTION_API_RATE_LIMIT})
 * @param batchApi              the OpenAI Files and Batch APIs: where files live, upload cap, completion window
 */
public record IngestConfig(
        String host,
        int port,
        KafkaConnection kafka,
        Optional<URI> s3Endpoint,
        String awsRegion,
        String imageBucket,
        int inlineImageMaxBytes,
        int maxBodyBytes,
        Duration publishTimeout,
        Duration resultTimeout,
        RequestEventHub.Config events,
        URI sinkPublicUrl,
        ImageIntakeConfig images,
        TopicProvisioner.Settings topics,
        Optional<JobPlannerConfig> jobPlanner,
        ApiAccess access,
        BatchApiConfig batchApi) {

    public static final String HOST = "KAPTION_INGEST_HOST";
    public static final String PORT = "KAPTION_INGEST_PORT";
    public static final String KAFKA_BOOTSTRAP_SERVERS = KafkaConnection.BOOTSTRAP_SERVERS;
    public static final String S3_ENDPOINT = S3Clients.ENDPOINT;
    public static final String AWS_REGION = S3Clients.REGION;
    public static final String IMAGE_BUCKET = "KAPTION_IMAGE_BUCKET";
    public static final String INLINE_IMAGE_MAX_BYTES = "KAPTION_INLINE_IMAGE_MAX_BYTES";
    public static final String MAX_BODY_BYTES = "KAPTION_MAX_BODY_BYTES";
    public static final String PUBLISH_TIMEOUT_MS = "KAPTION_PUBLISH_TIMEOUT_MS";
    public static final String RESULT_TIMEOUT_SECONDS = "KAPTION_RESULT_TIMEOUT_SECONDS";
    public static final String SINK_PUBLIC_URL = "KAPTION_SINK_PUBLIC_URL";
    /** Whether this process also plans submitted jobs (true by default; the planner's variables are its own). */
    public static final String PLAN_JOBS = "KAPTION_INGEST_PLAN_JOBS";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 3000;
    public static final String DEFAULT_KAFKA_BOOTSTRAP_SERVERS = KafkaConnection.DEFAULT_BOOTSTRAP_SERVERS;
    public static final String DEFAULT_AWS_REGION = S3Clients.DEFAULT_REGION;
    public static final String DEFAULT_IMAGE_BUCKET = "kaption-images";
    public static final int DEFAULT_INLINE_IMAGE_MAX_BYTES = 262_144;
    // A 20 MiB image (image intake's default cap) as base64 inside JSON is about 27 MiB.
    public static final int DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofMillis(5000);
    public static final Duration DEFAULT_RESULT_TIMEOUT = Duration.ofSeconds(300);
    public static final URI DEFAULT_SINK_PUBLIC_URL = URI.create("http://127.0.0.1:3002");

    public IngestConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT + " must be 0 to 65535, got " + port);
        }
        Env.requirePositive(INLINE_IMAGE_MAX_BYTES, inlineImageMaxBytes);
        Env.requirePositive(MAX_BODY_BYTES, maxBodyBytes);
        Env.requirePositive(PUBLISH_TIMEOUT_MS, publishTimeout.toMillis());
        Env.requirePositive(RESULT_TIMEOUT_SECONDS, resultTimeout.toMillis());
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(jobPlanner, "jobPlanner");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(batchApi, "batchApi");
        if (imageBucket.isBlank()) {
            throw new IllegalArgumentException(IMAGE_BUCKET + " must not be empty");
        }
    }

    public static IngestConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the variables from {@code env}; a malformed value fails fast with the variable's name. */
    public static IngestConfig fromEnvironment(Map<String, String> variables) {
        Env env = Env.of(variables);
        return new IngestConfig(
                env.string(HOST, DEFAULT_HOST),
                env.integer(PORT, DEFAULT_PORT),
                KafkaConnection.fromEnvironment(env),
                S3Clients.endpoint(env),
                S3Clients.region(env),
                env.string(IMAGE_BUCKET, DEFAULT_IMAGE_BUCKET),
                env.integer(INLINE_IMAGE_MAX_BYTES, DEFAULT_INLINE_IMAGE_MAX_BYTES),
                env.integer(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
                env.millis(PUBLISH_TIMEOUT_MS, DEFAULT_PUBLISH_TIMEOUT),
                env.seconds(RESULT_TIMEOUT_SECONDS, DEFAULT_RESULT_TIMEOUT),
                RequestEventHub.Config.fromEnvironment(variables),
                env.httpUrl(SINK_PUBLIC_URL).orElse(DEFAULT_SINK_PUBLIC_URL),
                ImageIntakeConfig.fromEnvironment(variables),
                TopicProvisioner.Settings.fromEnvironment(variables),
                env.bool(PLAN_JOBS, true) ? Optional.of(JobPlannerConfig.fromEnvironment(variables)) : Optional.empty(),
                ApiAccess.fromEnvironment(variables),
                BatchApiConfig.fromEnvironment(variables));
    }

    /** The Kafka bootstrap servers. */
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }
}
