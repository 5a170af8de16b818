package io.kaption.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.bench.BenchJpegs;
import io.kaption.engine.bench.EngineBenchmark;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.local.LocalPipeline;
import io.kaption.localstack.LocalStack;
import io.kaption.worker.metrics.ThreadSchedStat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bin/kaption bench job}: a bucket job's throughput next to the bare model's on the same images, model, batch
 * size and token count, interleaved in one run (bare, job, bare, job, …) so that both see the same machine. The bare
 * model is the engine alone generating for every image in one call (continuous batching, as the worker does); the job
 * runs on the local pipeline over the same images uploaded to S3, timed from the submission to the job's final state:
 * planning, Kafka, image fetching, the progress topology, shards and manifest included. {@code --realistic} runs the
 * ≈154.5M-parameter shape of the engine benchmark (336×336 JPEGs, 32 tokens) instead of the tiny demo model.
 */
@Command(name = "kaption bench job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Bucket-job throughput (images/s) against the bare model's, on the local pipeline.")
public final class JobThroughputBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "Describe the image.";
    private static final Duration STALL = Duration.ofMinutes(5);

    @Option(names = "--images", defaultValue = "200", paramLabel = "N", description = "images in the job (default ${DEFAULT-VALUE})")
    int images;
    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "tokens generated per image, exactly (min = max) (default 16; 32 with --realistic)")
    Integer maxNewTokens;
    @Option(names = "--batch", defaultValue = "8", paramLabel = "N", description = "rows decoded together (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--size", paramLabel = "WxH", description = "JPEG size (default 320x240; 336x336 with --realistic)")
    String size;
    @Option(names = "--repeats", defaultValue = "2", paramLabel = "N",
            description = "bare/job pairs, interleaved (default ${DEFAULT-VALUE})")
    int repeats;
    @Option(names = "--warmup-repeats", defaultValue = "1", paramLabel = "N",
            description = "untimed bare/job pairs over all the images first (default ${DEFAULT-VALUE})")
    int warmupRepeats;
    @Option(names = "--model", paramLabel = "DIR", description = "checkpoint directory (default: the demo model)")
    Path model;
    @Option(names = "--realistic", description = "a random ≈154.5M-parameter LLaVA-1.5 (the engine benchmark's shape: "
            + "CLIP 224/14 512 wide 6 layers, Llama 768 wide 12 layers) instead of the demo model")
    boolean realistic;

    public static void main(String[] args) {
        System.exit(new CommandLine(new JobThroughputBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        try (ScratchDirectory scratch = ScratchDirectory.create("kaption-bench")) {
            run(scratch.path());
            scratch.succeeded();
        }
        return 0;
    }

    private void run(Path dataDir) throws Exception {
        BenchMachine.printLoad("start");
        if (maxNewTokens == null) {
            maxNewTokens = realistic ? 32 : 16;
        }
        if (size == null) {
            size = realistic ? "336x336" : "320x240";
        }
        Path modelDir = model != null ? model
                : realistic ? DemoCheckpoint.write(dataDir.resolve("model"), EngineBenchmark.config())
                : DemoCheckpoint.write(dataDir.resolve("model"));
        System.out.printf(Locale.ROOT, "model %s, %d images of %s, batch %d, %d tokens each, %d interleaved repeats "
                        + "after %d untimed%n", model != null ? model : realistic ? "random 154.5M-parameter LLaVA-1.5"
                        : "demo", images, size, batch, maxNewTokens, repeats, warmupRepeats);
        List<byte[]> jpegs = BenchJpegs.noisyGradients(size, images);

        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("KAPTION_MODEL", modelDir.toString());
        env.put("TAKEOFF_MAX_BATCH_SIZE", Integer.toString(batch));
        env.put("KAPTION_SINK_STATE_DIR", dataDir.resolve("sink-state").toString());
        double[] bare = new double[repeats];
        double[] job = new double[repeats];
        double[] ratio = new double[repeats];
        try (LocalStack stack = LocalStack.start(0, 0, dataDir);
             LocalPipeline pipeline = LocalPipeline.start(env, stack);
             S3Client s3 = stack.s3().newClient();
             LlavaPipeline engine = LlavaPipeline.load(modelDir,
                     new LlavaPipeline.Options(LlavaEngine.Precision.FLOAT32, null, batch, null))) {
            s3.createBucket(b -> b.bucket("bench"));
            for (int i = 0; i < jpegs.size(); i++) {
                put(s3, String.format("images/%06d.jpg", i), jpegs.get(i));
            }
            for (int i = 0; i < Math.min(batch, jpegs.size()); i++) {
                put(s3, String.format("warmup/%06d.jpg", i), jpegs.get(i));
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI api = URI.create("http://127.0.0.1:" + pipeline.ingestPort() + "/v1/jobs");
            URI workerMetrics = URI.create("http://127.0.0.1:" + pipeline.workerPort() + "/metrics");
            BenchMachine.awaitIngestReady(http, api.resolve("/readyz"));
            List<LlavaPipeline.Request> requests = bareRequests(jpegs);
            // Topics, consumer groups: not measured.
            generate(engine, requests.subList(0, Math.min(batch, requests.size())));
            runJob(http, api, "s3://bench/warmup/", "s3://bench/out-warmup/");
            // The bare model runs on this thread.
            Optional<Path> bareThreadFile = ThreadSchedStat.fileOfCurrentThread();
            // The JIT: a fresh JVM compiles the pipeline's code (Kafka clients and Streams, the S3 client and server,
            // JSON) while the first thousands of images go through it, on the cores the model runs on. A deployed
            // worker pays that once; the untimed pairs keep it out of the figures (the JIT time printed says how much
            // is left).
            for (int r = -warmupRepeats; r < repeats; r++) {
                String name = r < 0 ? "warm-up" : "r" + r;
                long compiling = BenchMachine.jitMillis();
                ThreadSchedStat bareThreadBefore = schedStat(bareThreadFile);
                long start = System.nanoTime();
                generate(engine, requests);
                double bareSeconds = (System.nanoTime() - start) / 1e9;
                ThreadSchedStat bareThread = schedStat(bareThreadFile).minus(bareThreadBefore);
                double bareRate = images / bareSeconds;
                System.out.printf(Locale.ROOT, "%s bare model: %d images in one generate call: %.3f images/s (JIT %.1f "
                        + "s; load %s; %s)%n", name, images, bareRate, (BenchMachine.jitMillis() - compiling) / 1e3,
                        BenchMachine.loadAverage(), threadShares(bareThreadFile.isEmpty() ? Double.NaN
                                : bareThread.cpuNanos() / 1e9, bareThread.waitNanos() / 1e9, bareSeconds));
                compiling = BenchMachine.jitMillis();
                EngineActivity engineBefore = EngineActivity.read(http, workerMetrics);
                JobRun run = runJob(http, api, "s3://bench/images/", "s3://bench/out-" + name
                        + (r < 0 ? "-" + (r + warmupRepeats) : "") + "/");
                EngineActivity worker = EngineActivity.read(http, workerMetrics).minus(engineBefore);
                if (!run.status().get("state").asText().equals("completed")) {
                    throw new IllegalStateException("the job did not complete: " + run.status());
                }
                double jobRate = images / run.seconds();
                System.out.printf(Locale.ROOT, "%s bucket job: %d images, submit to completed in %.1f s: %.3f "
                        + "images/s (%.0f%% of the bare model) (JIT %.1f s; load %s)%n", name, images, run.seconds(),
                        jobRate, 100 * jobRate / bareRate, (BenchMachine.jitMillis() - compiling) / 1e3,
                        BenchMachine.loadAverage());
                System.out.printf(Locale.ROOT, "%s   first line counted at %.1f s, the last at %.1f s, completed at "
                        + "%.1f s; the worker: %.2f rows per decode step (of %d), %.0f batches started from idle, "
                        + "%.2f s lingering for more, %s%n", name, run.firstDoneSeconds(), run.allDoneSeconds(),
                        run.seconds(), worker.rowsPerStep(), batch, worker.idleStarts(), worker.lingerSeconds(),
                        threadShares(worker.threadCpuSeconds(), worker.threadWaitSeconds(), run.seconds()));
                if (r >= 0) {
                    bare[r] = bareRate;
                    job[r] = jobRate;
                    ratio[r] = jobRate / bareRate;
                }
            }
        }
        BenchMachine.printLoad("end");
        System.out.printf(Locale.ROOT, "kaption-bench job: bare_images_per_s=%.3f job_images_per_s=%.3f ratio=%.3f%n",
                BenchMachine.median(bare), BenchMachine.median(job), BenchMachine.median(ratio));
    }

    private static void put(S3Client s3, String key, byte[] jpeg) {
        s3.putObject(b -> b.bucket("bench").key(key).contentType("image/jpeg"), RequestBody.fromBytes(jpeg));
    }

    private List<LlavaPipeline.Request> bareRequests(List<byte[]> jpegs) {
        SamplingParams params = SamplingParams.greedy(maxNewTokens).withMinNewTokens(maxNewTokens);
        List<LlavaPipeline.Request> requests = new ArrayList<>();
        for (byte[] jpeg : jpegs) {
            requests.add(new LlavaPipeline.Request(PROMPT, true, jpeg, params));
        }
        return requests;
    }

    private static void generate(LlavaPipeline engine, List<LlavaPipeline.Request> requests) {
        for (LlavaPipeline.Result result : engine.generate(requests, LlavaPipeline.Listener.NONE)) {
            if (result.error() != null) {
                throw new IllegalStateException("the engine failed an image: " + result.error());
            }
        }
    }

    /**
     * A timed job: its final status; seconds from the submission to the first line counted ("done": a result or an
     * error), to the last, and to the final state (the head and the tail around the model's work, at the status
     * poll's 100 ms resolution).
     */
    record JobRun(JsonNode status, double firstDoneSeconds, double allDoneSeconds, double seconds) {}

    /**
     * The worker's engine, from its {@code /metrics}: decode steps and the rows they decoded
     * ({@code kaption_batch_rows}); batches started from idle and the seconds they waited for more requests
     * ({@code kaption_batch_linger_seconds}); the seconds its thread ran on a CPU and waited for one
     * ({@code kaption_engine_thread_cpu…}, NaN where the worker cannot tell).
     */
    record EngineActivity(double steps, double rows, double idleStarts, double lingerSeconds, double threadCpuSeconds,
            double threadWaitSeconds) {

        static EngineActivity read(HttpClient http, URI metrics) throws IOException, InterruptedException {
            String text = BenchMachine.scrape(http, metrics);
            return new EngineActivity(BenchMachine.metric(text, "kaption_batch_rows_count"),
                    BenchMachine.metric(text, "kaption_batch_rows_sum"),
                    BenchMachine.metric(text, "kaption_batch_linger_seconds_count"),
                    BenchMachine.metric(text, "kaption_batch_linger_seconds_sum"),
                    BenchMachine.metric(text, "kaption_engine_thread_cpu_seconds_total", Double.NaN),
                    BenchMachine.metric(text, "kaption_engine_thread_cpu_wait_seconds_total", Double.NaN));
        }

        EngineActivity minus(EngineActivity earlier) {
            return new EngineActivity(steps - earlier.steps, rows - earlier.rows, idleStarts - earlier.idleStarts,
                    lingerSeconds - earlier.lingerSeconds, threadCpuSeconds - earlier.threadCpuSeconds,
                    threadWaitSeconds - earlier.threadWaitSeconds);
        }

        double rowsPerStep() {
            return rows / Math.max(1, steps);
        }
    }

    private static ThreadSchedStat schedStat(Optional<Path> file) throws IOException {
        return file.isPresent() ? ThreadSchedStat.read(file.get()) : new ThreadSchedStat(0, 0);
    }

    /** "on a CPU N % of the time, waiting for one M %" of a thread over {@code seconds} of wall time. */
    static String threadShares(double cpuSeconds, double waitSeconds, double seconds) {
        if (Double.isNaN(cpuSeconds) || Double.isNaN(waitSeconds)) {
            return "its thread's CPU time unknown here";
        }
        return String.format(Locale.ROOT, "its thread on a CPU %.0f%% of the time, waiting for one %.0f%%",
                100 * cpuSeconds / seconds, 100 * waitSeconds / seconds);
    }

    private JobRun runJob(HttpClient http, URI api, String input, String output)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        ObjectNode job = JSON.createObjectNode().put("input", input).put("output", output);
        job.putObject("template").put("text", PROMPT).put("max_new_tokens", maxNewTokens)
                .put("min_new_tokens", maxNewTokens);
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(api)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(job.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (submitted.statusCode() != 201) {
            throw new IllegalStateException("POST /v1/jobs: HTTP " + submitted.statusCode() + " " + submitted.body());
        }
        String jobId = JSON.readTree(submitted.body()).get("job_id").asText();
        // A job that stops moving (e.g. stuck in finalizing because its outputs cannot be written) ends the benchmark
        // with its status instead of hanging it; a slow model only has to finish one more record per interval.
        String lastProgress = "";
        long lastChange = System.nanoTime();
        double firstDone = Double.NaN;
        double allDone = Double.NaN;
        while (true) {
            Thread.sleep(100);
            HttpResponse<String> polled = http.send(HttpRequest.newBuilder(api.resolve("/v1/jobs/" + jobId)).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            JsonNode status = JSON.readTree(polled.body());
            double now = (System.nanoTime() - start) / 1e9;
            int done = status.path("counts").path("completed").asInt() + status.path("counts").path("failed").asInt();
            if (done > 0 && Double.isNaN(firstDone)) {
                firstDone = now;
            }
            if (done >= images && Double.isNaN(allDone)) {
                allDone = now;
            }
            if (polled.statusCode() == 200 && List.of("completed", "partially_completed", "failed", "cancelled")
                    .contains(status.get("state").asText())) {
                return new JobRun(status, firstDone, allDone, now);
            }
            String progress = status.path("state").asText() + status.path("counts");
            if (!progress.equals(lastProgress)) {
                lastProgress = progress;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STALL.toNanos()) {
                throw new IllegalStateException("job " + jobId + " made no progress for " + STALL.toMinutes()
                        + " minutes: HTTP " + polled.statusCode() + " " + polled.body());
            }
        }
    }
}
