package io.kaption.kit.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * One service's metrics, scraped by Prometheus from its {@code GET /metrics}: a Micrometer registry rendered in the
 * Prometheus text format, with the JVM's metrics and those of the Kafka clients bound to it.
 *
 * <p>Every name starts with {@code kaption_}: the JVM's and Kafka's meters too ({@code kaption_jvm_memory_used_bytes},
 * {@code kaption_kafka_consumer_fetch_manager_records_lag}), so one prefix selects all of Kaption's series. Each
 * service has its own registry (several run in one JVM under {@code bin/kaption local}).
 */
public final class ServiceMetrics implements AutoCloseable {

    /** What {@link #scrape()} returns. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    public static final String PREFIX = "kaption.";

    /** Buckets of HTTP latencies: answers of milliseconds up to blocking generations of minutes. */
    public static final Duration[] HTTP_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
            60, 120, 300);
    /** Buckets of queue times and end-to-end latencies. */
    public static final Duration[] REQUEST_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30,
            60, 120, 300, 600);
    /** Buckets of the time to the first token (vLLM's, up to a minute). */
    public static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4,
            0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80);
    /** Buckets of the time per output token (vLLM's, CPU decoding reaches the upper ones). */
    public static final Duration[] TOKEN_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4,
            0.5, 0.75, 1, 2.5, 5, 10);

    /** How often new Kafka client metrics are looked for (Micrometer's default: a minute). */
    private static final Duration KAFKA_REFRESH = Duration.ofSeconds(5);

    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> binders = new ArrayList<>();

    private ServiceMetrics() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().startsWith(PREFIX) ? id : id.withName(PREFIX + id.getName());
            }
        });
        bind(new ClassLoaderMetrics());
        bind(new JvmMemoryMetrics());
        bind(new JvmGcMetrics());
        bind(new JvmThreadMetrics());
        bind(new ProcessorMetrics());
        bind(new UptimeMetrics());
        bind(new FileDescriptorMetrics());
    }

    /** A registry with the JVM's metrics bound. */
    public static ServiceMetrics create() {
        return new ServiceMetrics();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Everything in the Prometheus text format ({@link #CONTENT_TYPE}). */
    public String scrape() {
        return registry.scrape();
    }

    /** Counts a record written to the dead-letter topic {@code topic}: {@code kaption_dlq_records_total{topic}}. */
    public void deadLettered(String topic) {
        registry.counter("kaption.dlq.records", "topic", topic).increment();
    }

    /** Binds a producer's metrics; they go when the producer closes. */
    public void bind(Producer<?, ?> producer, Tags tags) {
        bind(new KafkaClientMetrics(producer, tags, kafkaRefresher(), KAFKA_REFRESH));
    }

    /** Binds a consumer's metrics, its lag per topic and partition among them; {@code tags} may name its group. */
    public void bind(Consumer<?, ?> consumer, Tags tags) {
        bind(new KafkaClientMetrics(consumer, tags, kafkaRefresher(), KAFKA_REFRESH));
    }

    /**
     * The thread that looks for a Kafka client's new metrics (the lag of a partition appears once it is fetched);
     * the binder shuts it down when closed.
     */
    private static ScheduledExecutorService kafkaRefresher() {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kaption-kafka-metrics");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Binds any binder (Kafka Streams' {@code KafkaStreamsMetrics}, …); closed with this registry if closeable. */
    public synchronized void bind(MeterBinder binder) {
        binder.bindTo(registry);
        if (binder instanceof AutoCloseable closeable) {
            binders.add(closeable);
        }
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception e) {
                // Closing a binder only stops its refresh: nothing to recover.
            }
        }
        binders.clear();
        registry.close();
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return durations;
    }
}
