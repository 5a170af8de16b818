package io.kaption.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of the ingest service, the worker and the sink as {@code bin/kaption local} runs them: every
 * series is named {@code kaption_…}, and the families of each service move when requests run through it.
 */
@ExtendWith(SharedInfrastructure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String GROUP = "metrics-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static LocalPipeline pipeline;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_INGEST_PORT", "0");
        env.put("KAPTION_SINK_PORT", "0");
        env.put("KAPTION_WORKER_METRICS_PORT", "0");
        env.put("TAKEOFF_CONSUMER_GROUP", GROUP);
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        env.put("KAPTION_TOPIC_PARTITIONS", "2");
        env.put("KAPTION_SINK_STATE_DIR", dir.resolve("sink-state").toString());
        LocalPipeline.useDummyCredentialsUnlessConfigured(env);
        pipeline = LocalPipeline.start(env, SharedInfrastructure.kafkaBootstrapServers(),
                SharedInfrastructure.s3Endpoint());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        await().atMost(WAIT).until(() -> get(pipeline.ingestPort(), "/readyz").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void theIngestServiceCountsItsRequestsByRouteAndStatus() throws Exception {
        Scrape before = scrape(pipeline.ingestPort());
        assertThat(before.allNamed("kaption_")).isTrue();
        assertThat(before.has("kaption_jvm_memory_used_bytes")).isTrue();
        assertThat(before.hasPrefix("kaption_kafka_producer_")).isTrue();
        assertThat(before.has("kaption_jobs")).isTrue();
        assertThat(before.has("kaption_job_records_done")).isTrue();
        assertThat(before.has("kaption_sse_streams_open")).isTrue();

        assertThat(post(pipeline.ingestPort(), "/generate", generate("Name a colour.")).statusCode()).isEqualTo(200);
        HttpResponse<String> stream = post(pipeline.ingestPort(), "/generate_stream", generate("Count to three."));
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(get(pipeline.ingestPort(), "/no/such/route").statusCode()).isEqualTo(404);

        Scrape after = scrape(pipeline.ingestPort());
        String requests = "kaption_http_server_requests_seconds_count";
        assertThat(after.sum(requests, Map.of("route", "/generate", "method", "POST", "status", "200")))
                .isEqualTo(before.sum(requests, Map.of("route", "/generate", "method", "POST", "status", "200")) + 1);
        assertThat(after.sum(requests, Map.of("route", "/generate_stream", "status", "200")))
                .isEqualTo(before.sum(requests, Map.of("route", "/generate_stream", "status", "200")) + 1);
        assertThat(after.sum(requests, Map.of("route", "unmatched", "status", "404")))
                .isEqualTo(before.sum(requests, Map.of("route", "unmatched", "status", "404")) + 1);
        assertThat(after.sum("kaption_http_server_requests_seconds_bucket",
                Map.of("route", "/generate", "status", "200", "le", "+Inf"))).isPositive();
        assertThat(after.sum("kaption_http_server_requests_seconds_sum", Map.of("route", "/generate")))
                .isGreaterThan(before.sum("kaption_http_server_requests_seconds_sum", Map.of("route", "/generate")));
        assertThat(after.sum("kaption_sse_streams_open")).isZero();
    }

    @Test
    void theWorkerMeasuresItsGenerations() throws Exception {
        Scrape before = scrape(pipeline.workerPort());
        assertThat(before.allNamed("kaption_")).isTrue();
        assertThat(before.has("kaption_jvm_gc_memory_allocated_bytes_total")).isTrue();
        assertThat(before.has("kaption_batch_occupancy")).isTrue();

        assertThat(post(pipeline.ingestPort(), "/generate", generate("Describe the image.")).statusCode())
                .isEqualTo(200);
        // A LoRA adapter this worker does not serve (it has no KAPTION_LORA_DIR): the request fails with a stable code.
        HttpResponse<String> unknownAdapter = post(pipeline.ingestPort(), "/generate",
                "{\"text\": \"Hi\", \"lora_id\": \"adapter-1\", \"consumer_group\": \"" + GROUP + "\"}");
        assertThat(unknownAdapter.statusCode()).isGreaterThanOrEqualTo(400);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.requests(GROUP), "poison", "this is not JSON")).get();
        }

        Map<String, String> group = Map.of("group", GROUP);
        String dlqTopic = Topics.dlq(Topics.requests(GROUP));
        await().atMost(WAIT).untilAsserted(() -> assertThat(scrape(pipeline.workerPort())
                .sum("kaption_dlq_records_total", Map.of("topic", dlqTopic))).isEqualTo(1));
        Scrape after = scrape(pipeline.workerPort());
        assertThat(after.sum("kaption_requests_total", Map.of("group", GROUP, "outcome", "completed")))
                .isEqualTo(before.sum("kaption_requests_total", Map.of("group", GROUP, "outcome", "completed")) + 1);
        Map<String, String> invalid = Map.of("group", GROUP, "outcome", "failed", "code", "invalid_request");
        assertThat(after.sum("kaption_requests_total", invalid))
                .isEqualTo(before.sum("kaption_requests_total", invalid) + 1);
        for (String timer : new String[] {"kaption_request_queue_seconds_count", "kaption_request_e2e_seconds_count"}) {
            assertThat(after.sum(timer, group)).as(timer).isEqualTo(before.sum(timer, group) + 2);
        }
        assertThat(after.sum("kaption_time_to_first_token_seconds_count", group))
                .isEqualTo(before.sum("kaption_time_to_first_token_seconds_count", group) + 1);
        assertThat(after.sum("kaption_time_per_output_token_seconds_count", group))
                .isEqualTo(before.sum("kaption_time_per_output_token_seconds_count", group) + 1);
        assertThat(after.sum("kaption_time_to_first_token_seconds_bucket", Map.of("group", GROUP, "le", "+Inf")))
                .isPositive();
        assertThat(after.sum("kaption_prompt_tokens_total", group))
                .isGreaterThan(before.sum("kaption_prompt_tokens_total", group));
        assertThat(after.sum("kaption_completion_tokens_total", group))
                .isGreaterThan(before.sum("kaption_completion_tokens_total", group));
        assertThat(after.sum("kaption_batch_rows_count")).isGreaterThan(before.sum("kaption_batch_rows_count"));
        assertThat(after.sum("kaption_generated_tokens_total"))
                .isGreaterThan(before.sum("kaption_generated_tokens_total"));
        assertThat(after.sum("kaption_generation_tokens_per_second")).isPositive();
        if (Files.isSymbolicLink(Path.of("/proc/thread-self"))) {
            // Linux: the scheduler's accounting of the thread that drives the engine
            assertThat(after.sum("kaption_engine_thread_cpu_seconds_total"))
                    .isGreaterThan(before.sum("kaption_engine_thread_cpu_seconds_total"));
            assertThat(after.has("kaption_engine_thread_cpu_wait_seconds_total")).isTrue();
        }
        // The group's queue, per partition, from its consumer's own metrics (found a few seconds after its fetch).
        await().atMost(WAIT).untilAsserted(() -> assertThat(scrape(pipeline.workerPort()).series()).anySatisfy(series -> {
            assertThat(series.name()).isEqualTo("kaption_kafka_consumer_fetch_manager_records_lag");
            assertThat(series.labels()).containsEntry("group", GROUP).containsEntry("topic", Topics.requests(GROUP))
                    .containsKey("partition");
        }));
    }

    @Test
    void theSinkCountsLookupsAndOpenStreams() throws Exception {
        Scrape before = scrape(pipeline.sinkPort());
        assertThat(before.allNamed("kaption_")).isTrue();
        assertThat(before.hasPrefix("kaption_kafka_stream_")).isTrue();

        String id = "metrics-" + UUID.randomUUID();
        assertThat(get(pipeline.sinkPort(), "/v1/requests/" + id + "?wait=0").statusCode()).isEqualTo(202);
        // No events will come for this id: the stream stays open until the client leaves.
        CompletableFuture<HttpResponse<InputStream>> stream = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + pipeline.sinkPort() + "/v1/requests/" + id + "/events"))
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(scrape(pipeline.sinkPort()).sum("kaption_sse_streams_open")).isEqualTo(1));
        stream.get().body().close();
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(scrape(pipeline.sinkPort()).sum("kaption_sse_streams_open")).isZero());

        Scrape after = scrape(pipeline.sinkPort());
        String requests = "kaption_http_server_requests_seconds_count";
        assertThat(after.sum(requests, Map.of("route", "/v1/requests/{id}", "method", "GET", "status", "202")))
                .isEqualTo(before.sum(requests, Map.of("route", "/v1/requests/{id}", "status", "202")) + 1);
        assertThat(after.sum(requests, Map.of("route", "/v1/requests/{id}/events")))
                .isEqualTo(before.sum(requests, Map.of("route", "/v1/requests/{id}/events")) + 1);
        assertThat(after.sum(requests, Map.of("route", "/metrics", "status", "200"))).isPositive();
    }

    /** Runs last: by then every family the dashboard charts has had something to count. */
    @Test
    @Order(Integer.MAX_VALUE)
    void theGrafanaDashboardChartsOnlyFamiliesTheServicesExpose() throws Exception {
        Set<String> exposed = new HashSet<>();
        for (int port : new int[] {pipeline.ingestPort(), pipeline.workerPort(), pipeline.sinkPort()}) {
            scrape(port).series().forEach(series -> exposed.add(series.name()));
        }
        String dashboard = Files.readString(Path.of("..", "deploy", "grafana", "kaption-dashboard.json"));
        Set<String> charted = new TreeSet<>();
        Matcher name = Pattern.compile("kaption_[a-z0-9_]+").matcher(dashboard);
        while (name.find()) {
            charted.add(name.group());
        }
        assertThat(charted).hasSizeGreaterThan(15);
        // kaption_dlq_records_total appears once a record was dead-lettered (theWorkerMeasuresItsGenerations).
        assertThat(charted).allSatisfy(family -> assertThat(exposed).as(family).contains(family));
    }

    private static String generate(String prompt) {
        return "{\"text\": \"" + prompt + "\", \"max_new_tokens\": 6, \"consumer_group\": \"" + GROUP + "\"}";
    }

    private static Scrape scrape(int port) throws Exception {
        HttpResponse<String> response = get(port, "/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        return Scrape.parse(response.body());
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return LocalHttp.get(http, port, path);
    }

    private static HttpResponse<String> post(int port, String path, String json) throws Exception {
        return LocalHttp.postJson(http, port, path, json);
    }
}
