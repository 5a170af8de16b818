package io.kaption.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.local.LocalPipeline;
import io.kaption.localstack.LocalStack;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bin/kaption bench pipeline}: what the pipeline adds to the model's own time. Starts Kafka, S3 and the whole
 * streaming path on free loopback ports, sends {@code /generate} requests at a steady rate (open loop: a request
 * leaves on schedule whether or not the earlier ones were answered), and reports, per request, the client's
 * end-to-end latency, the worker's {@code inference_ms} (image loading, prefill and decode, as the result reports
 * it) and their difference, the pipeline's overhead: HTTP, validation, Kafka both ways, queueing and batching.
 */
@Command(name = "kaption bench pipeline", mixinStandardHelpOptions = true, sortOptions = false,
        description = "End-to-end latency minus model time at a steady request rate, on the local pipeline.")
public final class PipelineOverheadBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The warm-up's requests in flight: the worker's default batch size, so it decodes full batches. */
    private static final int WARMUP_CONCURRENCY = 8;

    @Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "--rate", defaultValue = "4", split = ",", paramLabel = "R",
            description = "requests per second; several (4,40) run one after the other (default ${DEFAULT-VALUE})")
    double[] rates;
    /** The rate being measured. */
    double rate;
    @Option(names = "--seconds", defaultValue = "60", paramLabel = "S", description = "measured duration (default ${DEFAULT-VALUE})")
    int seconds;
    @Option(names = "--warmup-requests", defaultValue = "10000", paramLabel = "N",
            description = "unmeasured requests before the first rate, " + WARMUP_CONCURRENCY + " at a time, so that the "
                    + "request path runs compiled, as in a service that has been up a while (default ${DEFAULT-VALUE})")
    int warmupRequests;
    @Option(names = "--warmup-seconds", defaultValue = "10", paramLabel = "S",
            description = "unmeasured start of each rate, at that rate (default ${DEFAULT-VALUE})")
    int warmupSeconds;
    @Option(names = "--max-new-tokens", defaultValue = "16", paramLabel = "N", description = "per request (default ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--model", paramLabel = "DIR", description = "checkpoint directory (default: the demo model)")
    Path model;

    /** One answered request: what the client saw and what the worker reported. */
    record Sample(double endToEndMs, double inferenceMs, double queuedMs) {
        double overheadMs() {
            return endToEndMs - inferenceMs;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PipelineOverheadBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (warmupRequests < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup-requests must be 0 or more");
        }
        try (ScratchDirectory scratch = ScratchDirectory.create("kaption-bench")) {
            run(scratch.path());
            scratch.succeeded();
        }
        return 0;
    }

    private void run(Path dataDir) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("KAPTION_SINK_STATE_DIR", dataDir.resolve("sink-state").toString());
        if (model != null) {
            env.put("KAPTION_MODEL", model.toString());
        } else {
            env.remove("KAPTION_MODEL");
        }
        BenchMachine.printLoad("start");
        List<String> summaries = new ArrayList<>();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
        try (LocalStack stack = LocalStack.start(0, 0, dataDir);
             LocalPipeline pipeline = LocalPipeline.start(env, stack)) {
            // The timed requests go out on one Vert.x event loop, which sends and receives on the same thread; the
            // JDK client hands each request and response between its selector thread and an executor. HTTP/1.1
            // with a connection per request in flight, as load generators do.
            HttpClientAgent timed = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(256));
            // Result look-ups and metrics, not timed.
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI generate = URI.create("http://127.0.0.1:" + pipeline.ingestPort() + "/generate");
            URI results = URI.create("http://127.0.0.1:" + pipeline.sinkPort() + "/v1/requests/");
            URI workerMetrics = URI.create("http://127.0.0.1:" + pipeline.workerPort() + "/metrics");
            PrintWriter out = new PrintWriter(System.out, true);
            warmUp(timed, http, generate, results, out);
            for (double r : rates) {
                rate = r;
                run(timed, http, generate, results, warmupSeconds);
                Linger before = Linger.read(http, workerMetrics);
                long jitBefore = BenchMachine.jitMillis();
                List<Sample> samples = run(timed, http, generate, results, seconds);
                Linger linger = Linger.read(http, workerMetrics).minus(before);
                out.printf(Locale.ROOT, "load average at the end of %.1f/s: %s (JIT during it %.1f s)%n", rate,
                        BenchMachine.loadAverage(), (BenchMachine.jitMillis() - jitBefore) / 1e3);
                print(samples, out);
                printLinger(samples, linger, out);
                double[] hops = KafkaHop.measure(stack.kafkaBootstrapServers(), rate, Math.min(seconds, 30));
                out.printf(Locale.ROOT, "kafka hop at %.1f/s (the floor: one record from an acks=all producer to a "
                                + "waiting read_committed consumer on the same broker, %d records; a request crosses "
                                + "Kafka twice): p50 %.1f ms, p99 %.1f ms%n", rate, hops.length, percentile(hops, 50),
                        percentile(hops, 99));
                double[] overhead = samples.stream().mapToDouble(Sample::overheadMs).toArray();
                summaries.add(String.format(Locale.ROOT,
                        "kaption-bench pipeline: rate=%.1f overhead_p50_ms=%.1f overhead_p99_ms=%.1f "
                                + "kafka_hop_p50_ms=%.1f kafka_hop_p99_ms=%.1f", rate, percentile(overhead, 50),
                        percentile(overhead, 99), percentile(hops, 50), percentile(hops, 99)));
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        BenchMachine.printLoad("end");
        summaries.forEach(System.out::println);
    }

    /** The worker's {@code kaption_batch_linger_seconds} summary: batches started from idle, seconds waited. */
    record Linger(double batches, double seconds) {

        static Linger read(HttpClient http, URI metrics) throws IOException, InterruptedException {
            String text = BenchMachine.scrape(http, metrics);
            return new Linger(BenchMachine.metric(text, "kaption_batch_linger_seconds_count"),
                    BenchMachine.metric(text, "kaption_batch_linger_seconds_sum"));
        }

        Linger minus(Linger earlier) {
            return new Linger(batches - earlier.batches, seconds - earlier.seconds);
        }
    }

    /**
     * The linger sits inside {@code inference_ms} (the worker counts from taking the record), so it is not part of
     * the overhead above: printed apart, with its share of what the pipeline added in all (overhead + linger).
     */
    static void printLinger(List<Sample> samples, Linger linger, PrintWriter out) {
        double lingerMs = linger.seconds() * 1000;
        double overheadMs = samples.stream().mapToDouble(Sample::overheadMs).sum();
        out.printf(Locale.ROOT, "linger: %.0f of %d requests started an idle batch; %.1f ms waited in all, %.2f ms "
                        + "per request on average; %.1f %% of the latency the pipeline added (overhead + linger)%n",
                linger.batches(), samples.size(), lingerMs, lingerMs / samples.size(),
                100 * lingerMs / (overheadMs + lingerMs));
    }

    /**
     * A fresh JVM interprets the request path (HTTP, JSON, the contract, Kafka clients, the event hub) until the JIT
     * has seen it a few thousand times; a few hundred requests at 4/s would measure that, not a running service.
     */
    private void warmUp(HttpClientAgent timed, HttpClient http, URI generate, URI results, PrintWriter out)
            throws Exception {
        if (warmupRequests == 0) {
            return;
        }
        // Minutes with the demo model, far longer with a slower --model: say what is happening meanwhile.
        out.printf(Locale.ROOT, "warming up: %d requests (--warmup-requests), %d at a time...%n", warmupRequests,
                WARMUP_CONCURRENCY);
        long jitBefore = BenchMachine.jitMillis();
        long start = System.nanoTime();
        Semaphore inFlight = new Semaphore(WARMUP_CONCURRENCY);
        AtomicBoolean failed = new AtomicBoolean();
        List<CompletableFuture<Sample>> pending = new ArrayList<>();
        for (int i = 0; i < warmupRequests && !failed.get(); i++) {
            inFlight.acquire();
            CompletableFuture<Sample> sample = send(timed, http, generate, results, i);
            sample.whenComplete((answered, failure) -> {
                failed.compareAndSet(false, failure != null);
                inFlight.release();
            });
            pending.add(sample);
        }
        for (CompletableFuture<Sample> sample : pending) {
            sample.get(5, TimeUnit.MINUTES); // the first failure ends the benchmark, with its reason
        }
        out.printf(Locale.ROOT, "warm-up: %d requests, %d at a time, in %.1f s (JIT %.1f s)%n", warmupRequests,
                WARMUP_CONCURRENCY, (System.nanoTime() - start) / 1e9, (BenchMachine.jitMillis() - jitBefore) / 1e3);
    }

    private List<Sample> run(HttpClientAgent timed, HttpClient http, URI generate, URI results, int durationSeconds)
            throws Exception {
        long intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / rate);
        int count = (int) Math.round(durationSeconds * rate);
        List<CompletableFuture<Sample>> pending = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + i * intervalNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            pending.add(send(timed, http, generate, results, i));
        }
        List<Sample> samples = new ArrayList<>();
        for (CompletableFuture<Sample> sample : pending) {
            samples.add(sample.get(5, TimeUnit.MINUTES));
        }
        return samples;
    }

    private CompletableFuture<Sample> send(HttpClientAgent timed, HttpClient http, URI generate, URI results,
            int index) {
        String requestId = "bench-" + UUID.randomUUID();
        String body = "{\"text\": \"Describe request " + index + ".\", \"max_new_tokens\": " + maxNewTokens
                + ", \"min_new_tokens\": " + maxNewTokens + "}";
        RequestOptions post = new RequestOptions().setMethod(HttpMethod.POST).setHost(generate.getHost())
                .setPort(generate.getPort()).setURI(generate.getRawPath())
                .putHeader("Content-Type", "application/json").putHeader("X-Request-Id", requestId);
        long sent = System.nanoTime();
        return timed.request(post)
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(answer -> {
                    double endToEndMs = (System.nanoTime() - sent) / 1e6;
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("request " + requestId + ": HTTP " + response.statusCode()
                                + " " + answer);
                    }
                    return endToEndMs;
                }))
                .toCompletionStage().toCompletableFuture()
                .thenCompose(endToEndMs -> http.sendAsync(HttpRequest.newBuilder(
                                results.resolve(requestId + "?wait=30")).GET().build(),
                                HttpResponse.BodyHandlers.ofString())
                        .thenApply(response -> sample(requestId, endToEndMs, response)));
    }

    private static Sample sample(String requestId, double endToEndMs, HttpResponse<String> response) {
        try {
            JsonNode result = JSON.readTree(response.body());
            if (response.statusCode() != 200 || !result.has("inference_ms")) {
                throw new IllegalStateException("result of " + requestId + ": HTTP " + response.statusCode() + " "
                        + response.body());
            }
            return new Sample(endToEndMs, result.get("inference_ms").asDouble(), result.path("queued_ms").asDouble());
        } catch (IOException e) {
            throw new IllegalStateException("result of " + requestId + " is not JSON", e);
        }
    }

    void print(List<Sample> samples, PrintWriter out) {
        out.printf(Locale.ROOT, "%d requests at %.1f/s over %d s, %d new tokens each%n", samples.size(), rate, seconds,
                maxNewTokens);
        out.println("| ms | p50 | p99 |");
        out.println("|---|---|---|");
        row(out, "end to end (client)", samples.stream().mapToDouble(Sample::endToEndMs).toArray());
        row(out, "inference_ms (worker)", samples.stream().mapToDouble(Sample::inferenceMs).toArray());
        row(out, "queued_ms (worker)", samples.stream().mapToDouble(Sample::queuedMs).toArray());
        row(out, "overhead = end to end - inference", samples.stream().mapToDouble(Sample::overheadMs).toArray());
    }

    private static void row(PrintWriter out, String name, double[] values) {
        out.printf("| %s | %.1f | %.1f |%n", name, percentile(values, 50), percentile(values, 99));
    }

    /** Nearest-rank percentile. */
    static double percentile(double[] values, double percent) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
