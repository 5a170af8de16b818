package io.kaption.local.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.local.LocalPipelineMain;
import io.kaption.localstack.kafka.ChildClasspath;
import io.kaption.localstack.s3.EmbeddedS3;
import io.kaption.schemas.Topics;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bin/kaption soak}: {@code bin/kaption local} (its main class in a JVM of its own, with GC logging, its broker
 * child logging GC too) under steady mixed load for {@code --minutes}: Takeoff requests blocking and streaming, image
 * requests (multipart and OpenAI with a data URL), records produced straight to {@code kaption.requests.primary}, and a
 * small bucket job every few minutes. Every {@code --sample-seconds} each JVM is asked for a full GC ({@code jcmd
 * GC.run}) and its live heap is read from its GC log, with its thread count and open file descriptors from
 * {@code /proc}. The report gives each series' trend (least-squares slope per 10 minutes, after the warm-up) and
 * fails on growth past the thresholds, on failed requests, or when the stack does not stop on SIGTERM.
 */
@Command(name = "kaption soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Mixed load on the local stack; heap after GC, threads and file descriptors per JVM; fails on growth.")
public final class SoakCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
    /** A job waits behind the interactive load (the bulk lane yields to it): minutes on a busy small machine. */
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(20);
    /** {@code Pause Full (Diagnostic Command) 123M->45M(256M)}: the live heap after a full GC jcmd asked for. */
    private static final Pattern FULL_GC = Pattern.compile(
            "Pause Full \\((?:Diagnostic Command|System\\.gc\\(\\))\\) (\\d+)([KMG])->(\\d+)([KMG])\\(");

    @Option(names = "--minutes", defaultValue = "30", paramLabel = "N", description = "load duration (default ${DEFAULT-VALUE})")
    double minutes;
    @Option(names = "--sample-seconds", defaultValue = "60", paramLabel = "S", description = "sampling interval (default ${DEFAULT-VALUE})")
    int sampleSeconds;
    @Option(names = "--warmup-minutes", defaultValue = "12", paramLabel = "N",
            description = "samples before this are left out of the trend: JIT, pools, and the event hubs' 10-minute "
                    + "history filling up (default ${DEFAULT-VALUE})")
    double warmupMinutes;
    @Option(names = "--max-heap-growth-mb", defaultValue = "10", paramLabel = "MB",
            description = "fail if live heap grows faster, per JVM, MB per 10 min (default ${DEFAULT-VALUE})")
    double maxHeapGrowthMb;
    @Option(names = "--max-thread-growth", defaultValue = "2", paramLabel = "N",
            description = "fail if threads grow faster, per JVM, per 10 min (default ${DEFAULT-VALUE})")
    double maxThreadGrowth;
    @Option(names = "--max-fd-growth", defaultValue = "10", paramLabel = "N",
            description = "fail if open file descriptors grow faster, per JVM, per 10 min (default ${DEFAULT-VALUE})")
    double maxFdGrowth;
    @Option(names = "--job-every-minutes", defaultValue = "5", paramLabel = "N", description = "bucket job interval (default ${DEFAULT-VALUE})")
    double jobEveryMinutes;
    @Option(names = "--out", paramLabel = "DIR", description = "logs, GC logs, samples and report (default: a new temp dir)")
    Path out;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Outcomes> outcomes = new ConcurrentHashMap<>();
    private final Set<String> directPending = ConcurrentHashMap.newKeySet();
    private final AtomicLong directAnswered = new AtomicLong();
    private final AtomicLong longestJobMillis = new AtomicLong();
    private volatile boolean loading = true;

    /** Counts per kind of load. */
    static final class Outcomes {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        volatile String lastFailure = "";
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SoakCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (out == null) {
            out = Files.createTempDirectory("kaption-soak-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Files.createDirectories(out);
        Map<String, Integer> ports = ports();
        Process local = startLocal(ports);
        PrintStream samplesOut = new PrintStream(Files.newOutputStream(out.resolve("samples.tsv")), true,
                StandardCharsets.UTF_8);
        try {
            awaitReady(out.resolve("local.log"), local);
            long broker = Long.parseLong(Files.readString(out.resolve("data/kafka/broker.pid")).strip());
            Path brokerGc = out.resolve("gc-broker.log");
            jcmd(broker, "VM.log", "output=file=" + brokerGc, "what=gc", "decorators=time,uptime,level,tags");
            Map<String, Jvm> jvms = Map.of("local", new Jvm(local.pid(), out.resolve("gc-local.log")),
                    "broker", new Jvm(broker, brokerGc));
            System.out.printf("kaption soak: stack ready (local pid %d, broker pid %d); %s min of load; output in %s%n",
                    local.pid(), broker, fmt(minutes), out);

            String ingest = "http://127.0.0.1:" + ports.get("KAPTION_INGEST_PORT");
            String bootstrap = "127.0.0.1:" + ports.get("KAPTION_KAFKA_PORT");
            URI s3 = URI.create("http://127.0.0.1:" + ports.get("KAPTION_S3_PORT"));
            List<byte[]> images = jpegs(8);
            ScheduledExecutorService load = Executors.newScheduledThreadPool(6);
            List<Sample> samples = new ArrayList<>();
            try (KafkaProducer<String, String> producer = producer(bootstrap);
                 S3Client s3Client = EmbeddedS3.clientFor(s3);
                 ResultReader results = new ResultReader(bootstrap)) {
                prepareBucket(s3Client, images);
                scheduleLoad(load, ingest, producer, images);

                samplesOut.println("minute\tjvm\theap_live_mb\tthreads\tfds\trss_mb");
                long start = System.nanoTime();
                long end = start + (long) (minutes * 60e9);
                while (true) {
                    double minute = (System.nanoTime() - start) / 60e9;
                    for (Map.Entry<String, Jvm> jvm : new TreeMap<>(jvms).entrySet()) {
                        Sample sample = sample(jvm.getKey(), jvm.getValue(), minute);
                        samples.add(sample);
                        samplesOut.printf(Locale.ROOT, "%.2f\t%s\t%.1f\t%d\t%d\t%.1f%n", sample.minute(), sample.jvm(),
                                sample.heapLiveMb(), sample.threads(), sample.fds(), sample.rssMb());
                    }
                    if (!local.isAlive()) {
                        throw new IllegalStateException("bin/kaption local exited with " + local.exitValue()
                                + "; see " + out.resolve("local.log"));
                    }
                    progress(minute);
                    if (System.nanoTime() >= end) {
                        break;
                    }
                    Thread.sleep(Math.min(sampleSeconds * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                }
                loading = false;
                load.shutdown();
                load.awaitTermination(JOB_TIMEOUT.toMinutes(), TimeUnit.MINUTES);
                long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
                while (!directPending.isEmpty() && System.nanoTime() < drainDeadline) {
                    Thread.sleep(500);
                }
            } finally {
                load.shutdownNow();
            }
            Report report = new Report(samples, warmupMinutes, maxHeapGrowthMb, maxThreadGrowth, maxFdGrowth);
            Duration stop = stop(local);
            String text = report.render(outcomes, directAnswered.get(), directPending.size(), stop, minutes, out)
                    + String.format(Locale.ROOT, "longest bucket job, submit to completed: %.1f s%n",
                            longestJobMillis.get() / 1000.0);
            System.out.print(text);
            Files.writeString(out.resolve("report.txt"), text);
            boolean requestsOk = outcomes.values().stream().allMatch(o -> o.failed.get() == 0)
                    && directPending.isEmpty();
            return report.passed() && requestsOk && stop != null ? 0 : 1;
        } finally {
            samplesOut.close();
            if (local.isAlive()) {
                local.destroyForcibly();
            }
        }
    }

    private void progress(double minute) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %5.1f min:", minute));
        outcomes.forEach((kind, o) -> line.append(' ').append(kind).append(' ').append(o.ok.get())
                .append(o.failed.get() > 0 ? " (" + o.failed.get() + " failed)" : ""));
        System.out.println(line);
    }

    // ---- the stack

    /** Ports from the environment where set (a port block), else free ones. */
    private static Map<String, Integer> ports() throws IOException {
        Map<String, Integer> ports = new HashMap<>();
        for (String name : List.of("KAPTION_KAFKA_PORT", "KAPTION_S3_PORT", "KAPTION_INGEST_PORT",
                "KAPTION_SINK_PORT", "KAPTION_WORKER_METRICS_PORT")) {
            String value = System.getenv(name);
            ports.put(name, value == null || value.isBlank() || value.equals("0") ? freePort()
                    : Integer.parseInt(value.strip()));
        }
        return ports;
    }

    private Process startLocal(Map<String, Integer> ports) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:gc:file=" + out.resolve("gc-local.log") + ":time,uptime,level,tags",
                "-Xmx1g"));
        String logback = System.getProperty("logback.configurationFile");
        if (logback != null) {
            command.add("-Dlogback.configurationFile=" + logback);
        }
        command.addAll(List.of("-cp", ChildClasspath.ofThisJvm(), LocalPipelineMain.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(out.resolve("local.log").toFile());
        ports.forEach((name, port) -> builder.environment().put(name, port.toString()));
        builder.environment().put("KAPTION_DATA_DIR", out.resolve("data").toString());
        return builder.start();
    }

    private static void awaitReady(Path log, Process local) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!(Files.exists(log) && Files.readString(log).contains("kaption local: ready"))) {
            if (!local.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("bin/kaption local did not get ready; see " + log);
            }
            Thread.sleep(200);
        }
    }

    /** SIGTERM, as a supervisor stops it; how long until it exited, or null if it did not within a minute. */
    private static Duration stop(Process local) throws InterruptedException {
        long start = System.nanoTime();
        local.destroy();
        if (!local.waitFor(60, TimeUnit.SECONDS)) {
            return null;
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    // ---- sampling

    record Jvm(long pid, Path gcLog) {}

    record Sample(double minute, String jvm, double heapLiveMb, int threads, int fds, double rssMb) {}

    private static Sample sample(String name, Jvm jvm, double minute) throws IOException, InterruptedException {
        int before = fullGcs(jvm.gcLog()).size();
        jcmd(jvm.pid(), "GC.run");
        double heap = liveMbAfterFullGc(jvm.gcLog(), before);
        Map<String, String> status = procStatus(jvm.pid());
        int threads = Integer.parseInt(status.getOrDefault("Threads", "-1").strip());
        double rss = Long.parseLong(status.getOrDefault("VmRSS", "-1 kB").strip().split("\\s+")[0]) / 1024.0;
        int fds;
        try (Stream<Path> entries = Files.list(Path.of("/proc", Long.toString(jvm.pid()), "fd"))) {
            fds = (int) entries.count();
        }
        return new Sample(minute, name, heap, threads, fds, rss);
    }

    /** The heap after the first full GC logged after the first {@code before} (waiting for its line). */
    private static double liveMbAfterFullGc(Path gcLog, int before) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 100; attempt++) {
            List<Double> fullGcs = fullGcs(gcLog);
            if (fullGcs.size() > before) {
                return fullGcs.get(before);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no full GC in " + gcLog + " after jcmd GC.run");
    }

    /** Heap after each full GC in {@code gcLog}, in MB. */
    private static List<Double> fullGcs(Path gcLog) throws IOException {
        List<Double> heaps = new ArrayList<>();
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
                Matcher m = FULL_GC.matcher(line);
                if (m.find()) {
                    heaps.add(megabytes(Long.parseLong(m.group(3)), m.group(4)));
                }
            }
        }
        return heaps;
    }

    private static double megabytes(long value, String unit) {
        return switch (unit) {
            case "K" -> value / 1024.0;
            case "G" -> value * 1024.0;
            default -> value;
        };
    }

    private static Map<String, String> procStatus(long pid) throws IOException {
        Map<String, String> status = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                status.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return status;
    }

    private static void jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
        String output;
        try (InputStream in = jcmd.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (jcmd.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + String.join(" ", command) + " failed: " + output);
        }
    }

    // ---- load

    private void scheduleLoad(ScheduledExecutorService load, String ingest, KafkaProducer<String, String> producer,
                              List<byte[]> images) {
        Random random = new Random(7);
        every(load, 2_000, "blocking", () -> expect200(post(ingest + "/generate",
                "{\"text\": \"Describe a cat.\", \"max_new_tokens\": 12}")));
        every(load, 4_000, "streaming", () -> {
            HttpResponse<String> response = post(ingest + "/generate_stream",
                    "{\"text\": [\"What is a cat?\", \"What is a dog?\"], \"max_new_tokens\": 12}");
            expect200(response);
            if (!response.body().contains("data:")) {
                throw new IllegalStateException("no SSE data: " + response.body());
            }
        });
        every(load, 6_000, "image_multipart", () -> expect200(multipart(ingest + "/image_generate",
                "{\"text\": \"What is in this picture?\", \"max_new_tokens\": 8}",
                images.get(random.nextInt(images.size())))));
        every(load, 6_000, "openai_stream", () -> {
            String dataUrl = "data:image/jpeg;base64,"
                    + Base64.getEncoder().encodeToString(images.get(random.nextInt(images.size())));
            ObjectNode body = JSON.createObjectNode().put("model", "primary").put("max_tokens", 8).put("stream", true);
            ObjectNode message = body.putArray("messages").addObject().put("role", "user");
            message.putArray("content").addObject().put("type", "text").put("text", "What is in this picture?");
            ((com.fasterxml.jackson.databind.node.ArrayNode) message.get("content")).addObject()
                    .put("type", "image_url").putObject("image_url").put("url", dataUrl);
            HttpResponse<String> response = post(ingest + "/v1/chat/completions", body.toString());
            expect200(response);
            if (!response.body().contains("[DONE]")) {
                throw new IllegalStateException("stream without [DONE]: " + response.body());
            }
        });
        every(load, 2_000, "kafka_direct", () -> {
            String id = "soak-" + UUID.randomUUID();
            directPending.add(id);
            producer.send(new ProducerRecord<>(Topics.requests(Topics.DEFAULT_CONSUMER_GROUP), id,
                    JSON.createObjectNode().put("request_id", id).put("text", "Describe a dog.")
                            .put("max_new_tokens", 12).toString())).get(30, TimeUnit.SECONDS);
        });
        every(load, (long) (jobEveryMinutes * 60_000), "bucket_job", () -> runJob(ingest));
    }

    /** Runs {@code task} every {@code millis}, each run counted under {@code kind}; a run does not overlap itself. */
    private void every(ScheduledExecutorService load, long millis, String kind, ThrowingRunnable task) {
        Outcomes counts = outcomes.computeIfAbsent(kind, k -> new Outcomes());
        load.scheduleWithFixedDelay(() -> {
            if (!loading) {
                return;
            }
            try {
                task.run();
                counts.ok.incrementAndGet();
            } catch (Exception e) {
                counts.failed.incrementAndGet();
                counts.lastFailure = e.toString();
            }
        }, 1_000, millis, TimeUnit.MILLISECONDS);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> multipart(String url, String json, byte[] jpeg)
            throws IOException, InterruptedException {
        String boundary = "soak" + UUID.randomUUID().toString().replace("-", "");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"json_data\"\r\n\r\n" + json
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"image_data\"; filename=\"a.jpg\""
                + "\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(jpeg);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void expect200(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + " " + response.body());
        }
    }

    private void runJob(String ingest) throws IOException, InterruptedException {
        ObjectNode job = JSON.createObjectNode().put("input", "s3://soak/images/").put("output", "s3://soak/out/"
                + UUID.randomUUID() + "/");
        job.putObject("template").put("text", "Describe the image.").put("max_new_tokens", 8);
        HttpResponse<String> submitted = post(ingest + "/v1/jobs", job.toString());
        if (submitted.statusCode() != 201) {
            throw new IllegalStateException("POST /v1/jobs: HTTP " + submitted.statusCode() + " " + submitted.body());
        }
        String jobId = JSON.readTree(submitted.body()).get("job_id").asText();
        long submittedAt = System.nanoTime();
        long deadline = submittedAt + JOB_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            HttpResponse<String> polled = http.send(HttpRequest.newBuilder(URI.create(ingest + "/v1/jobs/" + jobId))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode status = JSON.readTree(polled.body());
            String state = status.path("state").asText();
            if (state.equals("completed")) {
                longestJobMillis.accumulateAndGet((System.nanoTime() - submittedAt) / 1_000_000, Math::max);
                return;
            }
            if (List.of("partially_completed", "failed", "cancelled").contains(state)) {
                throw new IllegalStateException("job " + jobId + " ended " + polled.body());
            }
        }
        throw new IllegalStateException("job " + jobId + " not completed within " + JOB_TIMEOUT.toMinutes()
                + " minutes");
    }

    private static void prepareBucket(S3Client s3, List<byte[]> images) {
        s3.createBucket(b -> b.bucket("soak"));
        for (int i = 0; i < images.size(); i++) {
            String key = String.format("images/%03d.jpg", i);
            byte[] jpeg = images.get(i);
            s3.putObject(b -> b.bucket("soak").key(key).contentType("image/jpeg"), RequestBody.fromBytes(jpeg));
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    /** Reads {@code kaption.results} from its end, marking direct records answered. */
    private final class ResultReader implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        ResultReader(String bootstrap) {
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(),
                    new StringDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(Topics.RESULTS)) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            thread = new Thread(this::run, "soak-results");
            thread.start();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        String id = record.key() != null ? record.key() : requestId(record.value());
                        if (directPending.remove(id)) {
                            directAnswered.incrementAndGet();
                        }
                    }
                }
            } catch (WakeupException stopping) {
                // close() below
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }

    private static String requestId(String value) {
        try {
            return JSON.readTree(value).path("request_id").asText();
        } catch (IOException e) {
            return "";
        }
    }

    private static List<byte[]> jpegs(int count) {
        Random random = new Random(42);
        List<byte[]> jpegs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
            int base = random.nextInt(0xFFFFFF);
            for (int y = 0; y < 240; y++) {
                for (int x = 0; x < 320; x++) {
                    image.setRGB(x, y, base ^ (x * 3) << 16 ^ (y * 5) << 8 ^ random.nextInt(16));
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, "jpeg", bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            jpegs.add(bytes.toByteArray());
        }
        return jpegs;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

    static String fmt(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
