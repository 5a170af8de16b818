package io.kaption.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.localstack.LocalStack;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.topics.TopicProvisioner;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/kaption bench sse}: how many {@code GET /v1/requests/{id}/events} streams one result sink keeps, and in
 * how much heap. Starts Kafka and S3, then the sink in its own JVM ({@code -Xmx512m} unless {@code --sink-heap}),
 * opens {@code --streams} concurrent event streams (one request id each, the JDK HTTP client, no thread per
 * stream), and feeds them from a synthetic token producer writing straight to {@code kaption.tokens} and
 * {@code kaption.results} as a worker would (acks=all, idempotent, key = request id): one token per stream per round,
 * the last one final, then each request's result. Each token's text is the moment it was produced, so the client
 * measures the delivery delay. At the middle of the run, with every stream open, the sink's heap is measured after a
 * full GC ({@code jcmd GC.run}, then {@code GC.heap_info}). A stream is complete when it got every token in order,
 * then the result, then the end of the response.
 */
@Command(name = "kaption bench sse", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Concurrent SSE streams on one result sink: heap after GC, completeness, delivery delay.")
public final class SseCapacityBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    @Option(names = "--streams", defaultValue = "10000", paramLabel = "N", description = "concurrent streams (default ${DEFAULT-VALUE})")
    int streams;
    @Option(names = "--tokens", defaultValue = "8", paramLabel = "N", description = "token events per stream (default ${DEFAULT-VALUE})")
    int tokens;
    @Option(names = "--round-ms", defaultValue = "1000", paramLabel = "MS",
            description = "one token for every stream per round (default ${DEFAULT-VALUE})")
    int roundMillis;
    @Option(names = "--sink-heap", defaultValue = "512m", paramLabel = "SIZE", description = "the sink JVM's -Xmx (default ${DEFAULT-VALUE})")
    String sinkHeap;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SseCapacityBenchmark()).execute(args));
    }

    /** One client stream: what it saw, checked as it arrives. Lines come in order on one subscriber. */
    final class Stream implements Flow.Subscriber<String> {
        final String requestId;
        final CompletableFuture<Void> headers = new CompletableFuture<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        private String eventType = "message";
        private final StringBuilder data = new StringBuilder();
        int nextIndex;
        boolean result;
        String problem;

        Stream(String requestId) {
            this.requestId = requestId;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (line.isEmpty()) {
                dispatch();
            } else if (line.startsWith("event:")) {
                eventType = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).trim());
            }
        }

        private void dispatch() {
            if (data.length() == 0) {
                eventType = "message";
                return;
            }
            long now = System.nanoTime();
            try {
                JsonNode event = JSON.readTree(data.toString());
                switch (eventType) {
                    case "token" -> {
                        int index = event.get("index").asInt();
                        if (result || index != nextIndex) {
                            fail("token " + index + " where " + (result ? "nothing" : "token " + nextIndex)
                                    + " was due");
                        }
                        nextIndex = index + 1;
                        delays.add((now - Long.parseLong(event.get("text").asText().trim())) / 1e6);
                    }
                    case "result" -> {
                        if (nextIndex != tokens) {
                            fail("result after " + nextIndex + " of " + tokens + " tokens");
                        }
                        result = true;
                    }
                    default -> fail("event " + eventType + ": " + data);
                }
            } catch (IOException | RuntimeException e) {
                fail("unreadable event " + eventType + ": " + data + " (" + e + ")");
            }
            eventType = "message";
            data.setLength(0);
        }

        private void fail(String why) {
            if (problem == null) {
                problem = why;
            }
        }

        @Override
        public void onError(Throwable error) {
            fail("stream failed: " + error);
            ended.complete(null);
        }

        @Override
        public void onComplete() {
            ended.complete(null);
        }

        boolean complete() {
            return problem == null && result && nextIndex == tokens;
        }
    }

    private final ConcurrentLinkedQueue<Double> delays = new ConcurrentLinkedQueue<>();

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
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<Stream> opened = new ArrayList<>();
        double heapAfterGcMb;
        ExecutorService clientThreads = Executors.newFixedThreadPool(4);
        try (LocalStack stack = LocalStack.start(0, 0, dataDir)) {
            // The topics a worker would have created (the sink waits for them), with the workers' settings.
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    stack.kafkaBootstrapServers()))) {
                new TopicProvisioner(admin, TopicProvisioner.Settings.fromEnvironment()).ensure(
                        TopicProvisioner.streamingTopics("primary"));
            }
            Process sink = startSink(stack, port, dataDir.resolve("sink.log"));
            try (KafkaProducer<String, byte[]> producer = producer(stack.kafkaBootstrapServers())) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(30)).executor(clientThreads).build();
                URI base = URI.create("http://127.0.0.1:" + port);
                awaitReady(http, base.resolve("/readyz"), sink);
                System.out.printf(Locale.ROOT, "sink JVM -Xmx%s, pid %d; opening %d streams%n", sinkHeap, sink.pid(),
                        streams);
                long openStart = System.nanoTime();
                for (int i = 0; i < streams; i++) {
                    Stream stream = new Stream(String.format("sse-bench-%06d", i));
                    opened.add(stream);
                    http.sendAsync(HttpRequest.newBuilder(base.resolve("/v1/requests/" + stream.requestId + "/events"))
                                            .GET().build(),
                                    info -> {
                                        if (info.statusCode() == 200) {
                                            stream.headers.complete(null);
                                        } else {
                                            stream.fail("HTTP " + info.statusCode());
                                            stream.headers.complete(null);
                                        }
                                        return HttpResponse.BodySubscribers.fromLineSubscriber(stream);
                                    })
                            .whenComplete((response, error) -> {
                                if (error != null) {
                                    stream.onError(error);
                                    stream.headers.complete(null);
                                }
                            });
                    if (i % 500 == 499) {
                        // Let the sink accept a burst before the next one (its accept backlog is finite).
                        CompletableFuture.allOf(opened.subList(i - 499, i + 1).stream().map(s -> s.headers)
                                .toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
                    }
                }
                CompletableFuture.allOf(opened.stream().map(s -> s.headers).toArray(CompletableFuture[]::new))
                        .get(5, TimeUnit.MINUTES);
                long failedToOpen = opened.stream().filter(s -> s.problem != null).count();
                System.out.printf(Locale.ROOT, "%d streams open in %.1f s (%d failed), load %s%n",
                        streams - failedToOpen, (System.nanoTime() - openStart) / 1e9, failedToOpen,
                        BenchMachine.loadAverage());
                heapAfterGcMb = Double.NaN;
                StringBuilder[] texts = new StringBuilder[streams];
                for (int round = 0; round < tokens; round++) {
                    long roundStart = System.nanoTime();
                    for (int i = 0; i < streams; i++) {
                        String id = opened.get(i).requestId;
                        String text = " " + System.nanoTime();
                        texts[i] = (texts[i] == null ? new StringBuilder() : texts[i]).append(text);
                        TokenEvent event = round == tokens - 1 ? TokenEvent.last(id, 0, round, text, FinishReason.LENGTH)
                                : TokenEvent.chunk(id, 0, round, text);
                        producer.send(new ProducerRecord<>(Topics.TOKENS, id, ContractCodec.TOKENS.encode(event)));
                    }
                    producer.flush();
                    System.out.printf(Locale.ROOT, "round %d: %d token events produced in %.0f ms%n", round, streams,
                            (System.nanoTime() - roundStart) / 1e6);
                    if (round == tokens / 2) {
                        heapAfterGcMb = heapAfterGcMb(sink.pid());
                        System.out.printf(Locale.ROOT, "sink heap after a full GC, %d streams open: %.1f MB (load %s)%n",
                                streams, heapAfterGcMb, BenchMachine.loadAverage());
                    }
                    long sleep = TimeUnit.MILLISECONDS.toNanos(roundMillis) - (System.nanoTime() - roundStart);
                    if (sleep > 0) {
                        TimeUnit.NANOSECONDS.sleep(sleep);
                    }
                }
                for (int i = 0; i < streams; i++) {
                    String id = opened.get(i).requestId;
                    GenerationResult result = new GenerationResult(id, Texts.of(texts[i].toString()),
                            FinishReason.LENGTH, GenerationResult.Usage.of(1, tokens), null, null, null, 0L, 0L,
                            null, null, true);
                    producer.send(new ProducerRecord<>(Topics.RESULTS, id, ContractCodec.RESULTS.encode(result)));
                }
                producer.flush();
                try {
                    CompletableFuture.allOf(opened.stream().map(s -> s.ended).toArray(CompletableFuture[]::new))
                            .get(5, TimeUnit.MINUTES);
                } catch (java.util.concurrent.TimeoutException e) {
                    System.out.println("not every stream ended within 5 minutes of the last result");
                }
            } finally {
                sink.destroy();
                if (!sink.waitFor(30, TimeUnit.SECONDS)) {
                    sink.destroyForcibly();
                }
            }
        } finally {
            clientThreads.shutdownNow();
        }
        long complete = opened.stream().filter(Stream::complete).count();
        opened.stream().filter(s -> !s.complete()).limit(5).forEach(s -> System.out.printf(
                "incomplete: %s: %s%n", s.requestId, s.problem != null ? s.problem
                        : s.nextIndex + " of " + tokens + " tokens" + (s.result ? ", result" : ", no result")));
        double[] delayMs = delays.stream().mapToDouble(Double::doubleValue).toArray();
        double p50 = delayMs.length == 0 ? Double.NaN : PipelineOverheadBenchmark.percentile(delayMs, 50);
        double p99 = delayMs.length == 0 ? Double.NaN : PipelineOverheadBenchmark.percentile(delayMs, 99);
        System.out.printf(Locale.ROOT, "%d of %d streams complete and in order; %d token events delivered, delay p50 "
                + "%.1f ms, p99 %.1f ms%n", complete, streams, delayMs.length, p50, p99);
        BenchMachine.printLoad("end");
        System.out.printf(Locale.ROOT,
                "kaption-bench sse: streams=%d complete=%d heap_after_gc_mb=%.1f p99_delay_ms=%.1f%n", streams,
                complete, heapAfterGcMb, p99);
    }

    private Process startSink(LocalStack stack, int port, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + sinkHeap));
        String logback = System.getProperty("logback.configurationFile");
        if (logback != null) {
            command.add("-Dlogback.configurationFile=" + logback);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.kaption.sink.SinkMain"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("KAPTION_KAFKA_BOOTSTRAP_SERVERS", stack.kafkaBootstrapServers());
        env.put("KAPTION_S3_ENDPOINT", stack.s3Endpoint().toString());
        env.put("AWS_ACCESS_KEY_ID", EmbeddedS3.DUMMY_ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", EmbeddedS3.DUMMY_SECRET_KEY);
        env.put("AWS_REGION", EmbeddedS3.REGION.id());
        env.put("KAPTION_SINK_HOST", "127.0.0.1");
        env.put("KAPTION_SINK_PORT", Integer.toString(port));
        env.put("KAPTION_SINK_JOBS", "false"); // only the streaming side is measured
        System.out.printf("sink log: %s%n", log);
        return builder.start();
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.CLIENT_ID_CONFIG, "kaption-bench-sse"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** {@code jcmd PID GC.run}, then the heap's used size from {@code jcmd PID GC.heap_info}, in MB. */
    private static double heapAfterGcMb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = HEAP_USED.matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("no heap figures in jcmd GC.heap_info:\n" + info);
        }
        return Long.parseLong(used.group(2)) / 1024.0;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + output);
        }
        return output;
    }

    private static void awaitReady(HttpClient http, URI readyz, Process sink) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 1200; attempt++) {
            if (!sink.isAlive()) {
                throw new IllegalStateException("the sink exited with status " + sink.exitValue());
            }
            try {
                if (http.send(HttpRequest.newBuilder(readyz).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the sink did not get ready within two minutes: " + readyz);
    }
}
