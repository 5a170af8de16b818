package io.kaption.ingest;

import io.kaption.events.RequestEventHub;
import io.kaption.images.ImageIntake;
import io.kaption.ingest.auth.ApiKeyGuard;
import io.kaption.ingest.batches.BatchesHandler;
import io.kaption.ingest.discovery.DiscoveryHandler;
import io.kaption.ingest.files.FileStore;
import io.kaption.ingest.files.FilesHandler;
import io.kaption.ingest.files.S3Objects;
import io.kaption.ingest.discovery.GroupStats;
import io.kaption.ingest.discovery.WorkerDirectory;
import io.kaption.ingest.generation.Generations;
import io.kaption.ingest.http.ErrorShape;
import io.kaption.ingest.http.HealthHandler;
import io.kaption.ingest.http.IngestRouter;
import io.kaption.ingest.images.ImageStore;
import io.kaption.ingest.jobs.JobDirectory;
import io.kaption.ingest.jobs.JobMetrics;
import io.kaption.ingest.jobs.JobsHandler;
import io.kaption.ingest.openai.ChatCompletionsHandler;
import io.kaption.ingest.playground.PlaygroundHandler;
import io.kaption.ingest.publish.ConsumerGroups;
import io.kaption.ingest.publish.RequestPublisher;
import io.kaption.ingest.publish.WorkerPools;
import io.kaption.ingest.takeoff.TakeoffHandler;
import io.kaption.jobs.planning.JobPlanner;
import io.kaption.kit.metrics.HttpMetrics;
import io.kaption.kit.metrics.ServiceMetrics;
import io.kaption.kit.s3.S3Clients;
import io.kaption.schemas.topics.TopicProvisioner;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The running ingest service: HTTP on the configured port, a Kafka producer for requests, jobs and cancellations, an
 * admin client for consumer-group checks and topic creation, the request event hub for answers, the job directory for
 * the job API and (unless turned off) the job planner that turns submitted jobs into requests, S3 for large images.
 *
 * <pre>{@code
 * try (IngestService ingest = IngestService.start(IngestConfig.fromEnvironment())) {
 *     int port = ingest.port();
 * }
 * }</pre>
 */
public final class IngestService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Deque<AutoCloseable> resources;
    private final int port;

    private IngestService(Deque<AutoCloseable> resources, int port) {
        this.resources = resources;
        this.port = port;
    }

    public static IngestService start(IngestConfig config) {
        config.kafka().checkAccess("kaption-ingest-access-check");
        // Closed in reverse order of creation, also when a later step of the start fails.
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            ServiceMetrics metrics = ServiceMetrics.create();
            resources.push(metrics);
            Producer<String, byte[]> producer = new KafkaProducer<>(producerConfig(config), new StringSerializer(),
                    new ByteArraySerializer());
            resources.push(() -> producer.close(CLOSE_TIMEOUT));
            metrics.bind(producer, Tags.empty());
            Admin admin = Admin.create(adminConfig(config));
            resources.push(() -> admin.close(CLOSE_TIMEOUT));
            RequestEventHub hub = RequestEventHub.start(config.events());
            resources.push(hub);
            // Creates the job topics itself (retrying while Kafka is unreachable), then reads them.
            JobDirectory jobs = JobDirectory.start(config.kafka(),
                    new TopicProvisioner(admin, config.topics()));
            resources.push(jobs);
            WorkerDirectory workers = WorkerDirectory.start(config.kafka(),
                    new TopicProvisioner(admin, config.topics()), Clock.systemUTC());
            resources.push(workers);
            JobMetrics.register(metrics.registry(), jobs);
            JobPlanner planner = config.jobPlanner().map(JobPlanner::start).orElse(null);
            if (planner != null) {
                resources.push(planner);
            }
            S3Client s3 = s3Client(config);
            resources.push(s3);
            ImageIntake intake = new ImageIntake(config.images());
            resources.push(intake);
            ImageStore images = new ImageStore(intake, s3, config.imageBucket(), config.inlineImageMaxBytes());
            images.ensureBucket();

            // Closed after Vert.x (clients cut off at shutdown still get their requests cancelled), before the producer.
            RequestPublisher publisher = new RequestPublisher(producer, admin, config.publishTimeout());
            resources.push(publisher);
            Vertx vertx = Vertx.vertx();
            resources.push(() -> await(vertx.close()));
            ConsumerGroups consumerGroups = new ConsumerGroups(admin, config.publishTimeout(), Clock.systemUTC());
            Generations generations = new Generations(vertx, images, consumerGroups, publisher, hub,
                    config.resultTimeout());
            JobsHandler jobsHandler = new JobsHandler(vertx, jobs, producer, s3, config.maxBodyBytes(),
                    Clock.systemUTC());
            S3Objects fileObjects = new S3Objects(s3, config.batchApi().files());
            fileObjects.ensureBucket();
            FileStore fileStore = new FileStore(fileObjects, Clock.systemUTC());
            FilesHandler filesHandler = new FilesHandler(vertx, fileStore, config.batchApi().maxFileBytes());
            BatchesHandler batchesHandler = new BatchesHandler(vertx, fileObjects, fileStore, jobsHandler, images,
                    config.inlineImageMaxBytes(), consumerGroups::exists, config.batchApi().completionWindow(), config.maxBodyBytes(),
                    Clock.systemUTC());
            long sweep = batchesHandler.startSweep();
            resources.push(() -> vertx.cancelTimer(sweep));
            DiscoveryHandler discovery = new DiscoveryHandler(vertx, workers,
                    new GroupStats(admin, config.publishTimeout()));
            WorkerPools workerPools = new WorkerPools(admin, config.publishTimeout(), Clock.systemUTC());
            IngestRouter router = router(config, vertx, generations, publisher, hub, jobs, jobsHandler, discovery,
                    () -> planner == null || planner.isAlive(), workerPools, metrics)
                    .route(HttpMethod.POST, "/v1/files", ErrorShape.OPENAI, filesHandler::upload)
                    .route(HttpMethod.GET, "/v1/files", ErrorShape.OPENAI, filesHandler::list)
                    .route(HttpMethod.GET, "/v1/files/{id}", ErrorShape.OPENAI, filesHandler::get)
                    .route(HttpMethod.DELETE, "/v1/files/{id}", ErrorShape.OPENAI, filesHandler::delete)
                    .route(HttpMethod.GET, "/v1/files/{id}/content", ErrorShape.OPENAI, filesHandler::content)
                    .route(HttpMethod.POST, "/v1/batches", ErrorShape.OPENAI, batchesHandler::create)
                    .route(HttpMethod.GET, "/v1/batches", ErrorShape.OPENAI, batchesHandler::list)
                    .route(HttpMethod.GET, "/v1/batches/{id}", ErrorShape.OPENAI, batchesHandler::get)
                    .route(HttpMethod.POST, "/v1/batches/{id}/cancel", ErrorShape.OPENAI, batchesHandler::cancel);

            HttpServer server = await(vertx.createHttpServer(serverOptions(config)).requestHandler(router)
                    .invalidRequestHandler(router::invalid).listen());
            resources.push(() -> await(server.close()));
            LOG.info("ingest service listening on {}:{} (Kafka {}, image bucket {}, {})", config.host(),
                    server.actualPort(), config.kafkaBootstrapServers(), config.imageBucket(),
                    config.access().enabled() ? config.access().keys().size() + " API keys"
                            + config.access().rateLimiter().map(limit -> ", " + limit.perSecond() + " requests/s each")
                            .orElse("") : "no API keys: the API is open");
            return new IngestService(resources, server.actualPort());
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    /** The port the HTTP server listens on (the chosen one when configured with 0). */
    public int port() {
        return port;
    }

    /** Stops taking requests, then closes Kafka, S3 and the event hub. Idempotent. */
    @Override
    public void close() {
        synchronized (resources) {
            if (!resources.isEmpty()) {
                LOG.info("ingest service stopping");
                closeAll(resources);
            }
        }
    }

    private static IngestRouter router(IngestConfig config, Vertx vertx, Generations generations,
                                       RequestPublisher publisher, RequestEventHub hub, JobDirectory jobs,
                                       JobsHandler jobsHandler, DiscoveryHandler discovery,
                                       BooleanSupplier plannerAlive, WorkerPools workerPools, ServiceMetrics metrics) {
        TakeoffHandler takeoff = new TakeoffHandler(generations, config.images(), config.maxBodyBytes(),
                config.sinkPublicUrl());
        ChatCompletionsHandler chat = new ChatCompletionsHandler(generations, config.maxBodyBytes(),
                Clock.systemUTC());
        HealthHandler health = new HealthHandler(vertx, publisher, hub, jobs, plannerAlive, workerPools);
        PlaygroundHandler playground = new PlaygroundHandler();
        ErrorShape kaption = ErrorShape.KAPTION;
        return new IngestRouter(new ApiKeyGuard(config.access()), new HttpMetrics(metrics.registry()))
                .route(HttpMethod.POST, "/generate", kaption, exchange -> takeoff.generate(exchange, false))
                .route(HttpMethod.POST, "/generate_stream", kaption, exchange -> takeoff.generateStream(exchange, false))
                .route(HttpMethod.POST, "/image_generate", kaption, exchange -> takeoff.generate(exchange, true))
                .route(HttpMethod.POST, "/image_generate_stream", kaption,
                        exchange -> takeoff.generateStream(exchange, true))
                .route(HttpMethod.POST, "/v1/chat/completions", ErrorShape.OPENAI, chat::handle)
                .route(HttpMethod.POST, "/v1/requests", kaption, takeoff::submit)
                .route(HttpMethod.POST, "/v1/jobs", kaption, jobsHandler::submit)
                .route(HttpMethod.GET, "/v1/jobs", kaption, jobsHandler::list)
                .route(HttpMethod.GET, "/v1/jobs/{id}", kaption, jobsHandler::get)
                .route(HttpMethod.POST, "/v1/jobs/{id}/cancel", kaption, jobsHandler::cancel)
                .route(HttpMethod.GET, "/v1/models", ErrorShape.OPENAI, discovery::models)
                .route(HttpMethod.GET, "/v1/models/{id}", ErrorShape.OPENAI, discovery::model)
                .route(HttpMethod.GET, "/v1/groups", kaption, discovery::groups)
                .route(HttpMethod.GET, "/v1/groups/{group}", kaption, discovery::group)
                .openRoute(HttpMethod.GET, "/playground", kaption, playground::page)
                .openRoute(HttpMethod.GET, "/playground/{file}", kaption, playground::asset)
                .openRoute(HttpMethod.GET, "/healthz", kaption, health::live)
                .openRoute(HttpMethod.GET, "/readyz", kaption, health::ready)
                .openRoute(HttpMethod.GET, "/metrics", kaption, exchange -> exchange.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, ServiceMetrics.CONTENT_TYPE).end(metrics.scrape()));
    }

    private static HttpServerOptions serverOptions(IngestConfig config) {
        return new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                // A json_data form field may be as large as the body (long prompts, a data: image_url).
                .setMaxFormAttributeSize(config.maxBodyBytes())
                .setMaxFormBufferedBytes(config.maxBodyBytes());
    }

    private static Map<String, Object> producerConfig(IngestConfig config) {
        int timeoutMs = Math.toIntExact(config.publishTimeout().toMillis());
        return config.kafka().producer(Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, "kaption-ingest",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                // A request is either on Kafka within the publish timeout or the client hears 503: the wait for topic
                // metadata and the delivery (retries included) are each bounded by it.
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs));
    }

    private static Map<String, Object> adminConfig(IngestConfig config) {
        int timeoutMs = Math.toIntExact(config.publishTimeout().toMillis());
        return config.kafka().admin(Map.of(
                AdminClientConfig.CLIENT_ID_CONFIG, "kaption-ingest-admin",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs));
    }

    private static S3Client s3Client(IngestConfig config) {
        return S3Clients.create(config.s3Endpoint(), config.awsRegion());
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Vert.x did not answer within " + START_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                LOG.warn("closing failed: {}", e.toString());
            }
        }
    }
}
