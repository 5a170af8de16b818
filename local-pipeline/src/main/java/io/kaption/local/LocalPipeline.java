package io.kaption.local;

import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.localstack.LocalStack;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.sink.ResultSink;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.GpuWorker;
import io.kaption.worker.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The streaming path on one machine: a worker, the result sink and the ingest service, started in this order (the
 * worker creates the topics the others read and write) against one Kafka broker and one S3 endpoint.
 *
 * <p>Each service reads its own configuration from {@code env}, the same variables as when it runs alone; this class
 * only points them at the given Kafka and S3 and, unless {@code env} says otherwise, binds the HTTP services (the
 * worker's health port too) to 127.0.0.1 and tells the ingest service where the sink is.
 */
public final class LocalPipeline implements AutoCloseable {

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private IngestService ingest;
    private ResultSink sink;
    private GpuWorker worker;

    private LocalPipeline() {
    }

    /**
     * @param env                   the process environment (or a test's), read by every service
     * @param kafkaBootstrapServers the broker every service uses
     * @param s3Endpoint            the S3 endpoint every service uses
     */
    public static LocalPipeline start(Map<String, String> env, String kafkaBootstrapServers, URI s3Endpoint)
            throws IOException {
        Map<String, String> local = new HashMap<>(env);
        local.put(WorkerConfig.KAFKA_BOOTSTRAP_SERVERS, kafkaBootstrapServers);
        local.put(WorkerConfig.S3_ENDPOINT, s3Endpoint.toString());
        local.putIfAbsent(WorkerConfig.AWS_REGION, EmbeddedS3.REGION.id());
        local.putIfAbsent(IngestConfig.HOST, "127.0.0.1");
        local.putIfAbsent("KAPTION_SINK_HOST", "127.0.0.1");
        local.putIfAbsent(WorkerConfig.HTTP_HOST, "127.0.0.1");

        LocalPipeline pipeline = new LocalPipeline();
        try {
            pipeline.worker = GpuWorker.start(WorkerConfig.fromEnvironment(local));
            pipeline.started.push(pipeline.worker);
            pipeline.sink = ResultSink.start(ResultSinkConfig.fromEnvironment(local));
            pipeline.started.push(pipeline.sink);
            local.putIfAbsent(IngestConfig.SINK_PUBLIC_URL, "http://127.0.0.1:" + pipeline.sink.port());
            pipeline.ingest = IngestService.start(IngestConfig.fromEnvironment(local));
            pipeline.started.push(pipeline.ingest);
        } catch (IOException | RuntimeException e) {
            pipeline.close();
            throw e;
        }
        return pipeline;
    }

    /** Starts the pipeline against an embedded stack, whose S3 accepts any credentials. */
    public static LocalPipeline start(Map<String, String> env, LocalStack stack) throws IOException {
        useDummyCredentialsUnlessConfigured(env);
        return start(env, stack.kafkaBootstrapServers(), stack.s3Endpoint());
    }

    /**
     * The services build their S3 clients with the AWS SDK's default credential chain, whose first source is the
     * {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties: the local S3 accepts any keys, so the
     * pipeline runs on a machine without AWS credentials.
     */
    public static void useDummyCredentialsUnlessConfigured(Map<String, String> env) {
        if (env.get("AWS_ACCESS_KEY_ID") == null && System.getProperty("aws.accessKeyId") == null) {
            System.setProperty("aws.accessKeyId", EmbeddedS3.DUMMY_ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", EmbeddedS3.DUMMY_SECRET_KEY);
        }
    }

    public int ingestPort() {
        return ingest.port();
    }

    public int sinkPort() {
        return sink.port();
    }

    /** The port of the worker's HTTP server ({@code /healthz}, {@code /readyz}, {@code /metrics}). */
    public int workerPort() {
        return worker.httpPort();
    }

    /** Whether the worker consumes: model loaded, partitions assigned (its {@code /readyz}). */
    public boolean workerConsumes() {
        return worker.state().ready();
    }

    /** Stops the ingest service first (no new requests), then the sink, then the worker. */
    @Override
    public void close() {
        RuntimeException failure = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("stopping the local pipeline failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
