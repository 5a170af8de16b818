package io.kaption.worker.metrics;

import io.kaption.kit.metrics.ServiceMetrics;
import io.kaption.schemas.GenerationResult;
import io.kaption.worker.consume.AcceptedRequest;
import io.kaption.worker.publish.ErrorCodes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * What a worker measures of its generations (names as Prometheus shows them; {@code group} is the consumer group,
 * {@code lane} {@code interactive} or {@code bulk}):
 * <ul>
 *   <li>{@code kaption_request_queue_seconds}: from {@code created_at} (else the record's timestamp) until the worker
 *       took the request;</li>
 *   <li>{@code kaption_time_to_first_token_seconds}: from {@code created_at} until its first text;</li>
 *   <li>{@code kaption_time_per_output_token_seconds}: after the first token, per further completion token;</li>
 *   <li>{@code kaption_request_e2e_seconds}: from {@code created_at} until its result;</li>
 *   <li>{@code kaption_requests_total{outcome,code}}: ended requests, {@code completed}, {@code cancelled} or
 *       {@code failed} with the error code;</li>
 *   <li>{@code kaption_prompt_tokens_total}, {@code kaption_completion_tokens_total};</li>
 *   <li>{@code kaption_batch_linger_seconds}: how long an idle worker waited after a batch's first request for more
 *       to prefill with it ({@code TAKEOFF_BATCH_DURATION_MILLIS} at most; 0 when nothing else was on its way);</li>
 *   <li>{@code kaption_batch_rows}: engine rows decoded per step (the batch size);
 *       {@code kaption_batch_occupancy}: rows in the engine over its maximum, now;</li>
 *   <li>{@code kaption_generation_tokens_per_second}: tokens decoded per second of the last
 *       {@value #THROUGHPUT_WINDOW_SECONDS} s (for a rate over any window: {@code rate(kaption_generated_tokens_total)});</li>
 *   <li>{@code kaption_engine_thread_cpu_seconds_total}, {@code kaption_engine_thread_cpu_wait_seconds_total}: how
 *       long the thread that drives the engine ran on a CPU, and how long it was ready to run but waited for one
 *       (Linux only).</li>
 * </ul>
 */
public final class WorkerMetrics {

    static final int THROUGHPUT_WINDOW_SECONDS = 10;

    private final MeterRegistry registry;
    private final int maxRows;
    private final DistributionSummary batchRows;
    private final Counter generatedTokens;
    private final Timer linger;
    private volatile int rowsInEngine;
    private volatile Path engineThreadFile;
    private volatile ThreadSchedStat lastEngineThreadStat = new ThreadSchedStat(0, 0);
    private final ThroughputWindow throughput = new ThroughputWindow(Duration.ofSeconds(THROUGHPUT_WINDOW_SECONDS));

    public WorkerMetrics(MeterRegistry registry, int maxRows) {
        this.registry = registry;
        this.maxRows = maxRows;
        this.batchRows = DistributionSummary.builder("kaption.batch.rows")
                .description("engine rows decoded together per step (the batch size)")
                .serviceLevelObjectives(IntStream.iterate(1, n -> n <= Math.max(1, maxRows), n -> n * 2)
                        .asDoubleStream().toArray())
                .register(registry);
        this.linger = Timer.builder("kaption.batch.linger")
                .description("how long an idle worker waited after a batch's first request for more to batch with it")
                .register(registry);
        this.generatedTokens = Counter.builder("kaption.generated.tokens")
                .description("tokens decoded by the engine, one per row and step").register(registry);
        Gauge.builder("kaption.batch.occupancy", () -> (double) rowsInEngine / maxRows)
                .description("rows in the engine over the most it decodes together, now").register(registry);
        Gauge.builder("kaption.generation.tokens.per.second", () -> throughput.perSecond(System.nanoTime()))
                .description("tokens decoded per second over the last " + THROUGHPUT_WINDOW_SECONDS + " s")
                .register(registry);
    }

    /** The worker took {@code request} into the engine (or to answer it with an error). */
    public void started(AcceptedRequest request) {
        timer("kaption.request.queue", "time from created_at until the worker took the request", request,
                ServiceMetrics.REQUEST_BUCKETS).record(request.queuedMillis(), TimeUnit.MILLISECONDS);
    }

    /** The request's first text was decoded at {@code nanos} (monotonic clock). */
    public void firstToken(AcceptedRequest request, long nanos) {
        timer("kaption.time.to.first.token", "time from created_at until the request's first text", request,
                ServiceMetrics.FIRST_TOKEN_BUCKETS).record(sinceCreated(request, nanos), TimeUnit.NANOSECONDS);
    }

    /**
     * The request ended with {@code result} at {@code nanos}; {@code firstTokenNanos} is when its first text came
     * (-1: none).
     */
    public void ended(AcceptedRequest request, GenerationResult result, long firstTokenNanos, long nanos) {
        timer("kaption.request.e2e", "time from created_at until the request's result", request,
                ServiceMetrics.REQUEST_BUCKETS).record(sinceCreated(request, nanos), TimeUnit.NANOSECONDS);
        String group = request.consumerGroup();
        String outcome;
        String code;
        if (result.error() == null) {
            outcome = "completed";
            code = "none";
        } else {
            code = result.error().code();
            outcome = ErrorCodes.CANCELLED.equals(code) ? "cancelled" : "failed";
        }
        registry.counter("kaption.requests", "group", group, "lane", lane(request), "outcome", outcome, "code", code)
                .increment();
        if (result.usage() != null) {
            registry.counter("kaption.prompt.tokens", "group", group).increment(result.usage().promptTokens());
            registry.counter("kaption.completion.tokens", "group", group)
                    .increment(result.usage().completionTokens());
            long later = result.usage().completionTokens() - 1L;
            if (firstTokenNanos >= 0 && later > 0) {
                timer("kaption.time.per.output.token", "time per completion token after the first", request,
                        ServiceMetrics.TOKEN_BUCKETS).record((nanos - firstTokenNanos) / later, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** An idle worker started a batch {@code nanos} after its first request was ready. */
    public void linger(long nanos) {
        linger.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One engine step decoded {@code rows} rows (a token each) and ended at {@code nanos}. */
    public void step(int rows, long nanos) {
        batchRows.record(rows);
        generatedTokens.increment(rows);
        throughput.add(rows, nanos);
    }

    /**
     * Exposes the scheduler accounting of the thread that drives the engine, read from its {@code schedstat} file at
     * each scrape (the last values read once the thread has ended).
     */
    public void engineThread(Path schedstat) {
        engineThreadFile = schedstat;
        // The registry holds its state objects weakly: this one lives as long as the worker.
        FunctionCounter.builder("kaption.engine.thread.cpu", this, m -> m.engineThreadStat().cpuNanos() / 1e9)
                .baseUnit("seconds").description("time the thread driving the engine ran on a CPU")
                .register(registry);
        FunctionCounter.builder("kaption.engine.thread.cpu.wait", this, m -> m.engineThreadStat().waitNanos() / 1e9)
                .baseUnit("seconds")
                .description("time the thread driving the engine was ready to run but waited for a CPU")
                .register(registry);
    }

    private ThreadSchedStat engineThreadStat() {
        try {
            lastEngineThreadStat = ThreadSchedStat.read(engineThreadFile);
        } catch (IOException | RuntimeException e) {
            // the thread has ended: keep its totals
        }
        return lastEngineThreadStat;
    }

    /** Rows now in the engine. */
    public void rowsInEngine(int rows) {
        rowsInEngine = rows;
    }

    private Timer timer(String name, String description, AcceptedRequest request, Duration[] buckets) {
        return Timer.builder(name).description(description)
                .tags("group", request.consumerGroup(), "lane", lane(request))
                .serviceLevelObjectives(buckets)
                .register(registry);
    }

    private static String lane(AcceptedRequest request) {
        return request.lane().name().toLowerCase(Locale.ROOT);
    }

    /** Nanoseconds from the request's creation (as {@code queued_ms} counts it) until {@code nanos}. */
    private static long sinceCreated(AcceptedRequest request, long nanos) {
        return TimeUnit.MILLISECONDS.toNanos(request.queuedMillis()) + Math.max(0, nanos - request.acceptedNanos());
    }
}
