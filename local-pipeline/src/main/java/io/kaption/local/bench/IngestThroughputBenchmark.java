package io.kaption.local.bench;

import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.local.LocalPipeline;
import io.kaption.localstack.LocalStack;
import io.kaption.schemas.topics.TopicProvisioner;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/kaption bench ingest}: requests per second the ingest service accepts and publishes ({@code POST
 * /v1/requests}, answered 202 once Kafka acknowledged the record: acks=all, idempotent), next to Kafka's own
 * {@code ProducerPerformance} ({@code kafka-producer-perf-test}) producing records of the size the ingest published,
 * with acks=all and idempotence too, to the same broker. Two payloads: a small text request and a 200 KB JPEG as a
 * {@code data:} URL (inlined into the record under {@code KAPTION_INLINE_IMAGE_MAX_BYTES}). Ingest and producer runs
 * alternate, so both see the same machine. Only the ingest service runs (no worker, no sink): it measures the front
 * door, not the model.
 */
@Command(name = "kaption bench ingest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Ingest requests/s (accepted and published) next to kafka-producer-perf-test on the same broker.")
public final class IngestThroughputBenchmark implements Callable<Integer> {

    private static final String TOPIC = "kaption.requests.primary";
    private static final Pattern PERF_SUMMARY = Pattern.compile("(\\d+) records sent, ([0-9.]+) records/sec");

    @Option(names = "--seconds", defaultValue = "20", paramLabel = "S", description = "measured time per ingest run (default ${DEFAULT-VALUE})")
    int seconds;
    // The JIT compiled the ingest's code for 20-35 s of full load; with a 5 s warm-up it still took 39 % of the
    // benchmark JVM's CPU in the measured window, with 30 s 4 % (per-thread CPU, docs/PERFORMANCE.md).
    @Option(names = "--warmup-seconds", defaultValue = "30", paramLabel = "S", description = "unmeasured start per payload (default ${DEFAULT-VALUE})")
    int warmupSeconds;
    @Option(names = "--concurrency", defaultValue = "64", paramLabel = "N", description = "requests in flight (default ${DEFAULT-VALUE})")
    int concurrency;
    @Option(names = "--image-kb", defaultValue = "200", paramLabel = "KB", description = "JPEG size of the image requests (default ${DEFAULT-VALUE})")
    int imageKb;
    @Option(names = "--repeats", defaultValue = "1", paramLabel = "N", description = "ingest/producer pairs per payload (default ${DEFAULT-VALUE})")
    int repeats;
    @Option(names = "--kafka-tools-classpath", paramLabel = "CP", defaultValue = "${sys:kaption.kafka.tools.classpath}",
            description = "classpath of kafka-tools (bin/kaption passes deploy/target/lib/*)")
    String toolsClasspath;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestThroughputBenchmark()).execute(args));
    }

    /** One payload's figures from one repeat. */
    record Pair(double ingestPerSecond, double producerPerSecond, int recordBytes) {}

    @Override
    public Integer call() throws Exception {
        if (toolsClasspath == null || toolsClasspath.isBlank()) {
            throw new IllegalArgumentException("--kafka-tools-classpath is needed (run through bin/kaption after "
                    + "`mvn -DskipTests package`, which gathers deploy/target/lib)");
        }
        try (ScratchDirectory scratch = ScratchDirectory.create("kaption-bench")) {
            run(scratch.path());
            scratch.succeeded();
        }
        return 0;
    }

    private void run(Path dataDir) throws Exception {
        BenchMachine.printLoad("start");
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(IngestConfig.PORT, "0");
        env.put(IngestConfig.HOST, "127.0.0.1");
        env.put(IngestConfig.PLAN_JOBS, "false");
        String textBody = "{\"text\": \"Describe a cat in one sentence.\", \"max_new_tokens\": 32}";
        String imageBody = "{\"text\": \"What is in this picture?\", \"max_new_tokens\": 32, \"image_url\": "
                + "\"data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg(imageKb * 1000)) + "\"}";
        List<Pair> text = new ArrayList<>();
        List<Pair> image = new ArrayList<>();
        try (LocalStack stack = LocalStack.start(0, 0, dataDir)) {
            LocalPipeline.useDummyCredentialsUnlessConfigured(env);
            env.put(IngestConfig.KAFKA_BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers());
            env.put(IngestConfig.S3_ENDPOINT, stack.s3Endpoint().toString());
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                         stack.kafkaBootstrapServers()))) {
                // The topics a worker would have created, with the workers' settings.
                new TopicProvisioner(admin, TopicProvisioner.Settings.fromEnvironment(env))
                        .ensure(TopicProvisioner.streamingTopics("primary"));
            }
            try (IngestService ingest = IngestService.start(IngestConfig.fromEnvironment(env));
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                         stack.kafkaBootstrapServers()))) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                URI requests = URI.create("http://127.0.0.1:" + ingest.port() + "/v1/requests");
                BenchMachine.awaitIngestReady(http, requests.resolve("/readyz"));
                int partitions = partitions(admin, TOPIC);
                try (ClosedLoopPosts posts = new ClosedLoopPosts(requests, concurrency)) {
                    for (int r = 0; r < repeats; r++) {
                        text.add(pair("r" + r + " text", posts, textBody, admin, stack, partitions));
                        image.add(pair("r" + r + " image " + imageKb + " KB", posts, imageBody, admin, stack,
                                partitions));
                    }
                }
            }
        }
        BenchMachine.printLoad("end");
        double textIngest = BenchMachine.median(text.stream().mapToDouble(Pair::ingestPerSecond).toArray());
        double textProducer = BenchMachine.median(text.stream().mapToDouble(Pair::producerPerSecond).toArray());
        double imageIngest = BenchMachine.median(image.stream().mapToDouble(Pair::ingestPerSecond).toArray());
        double imageProducer = BenchMachine.median(image.stream().mapToDouble(Pair::producerPerSecond).toArray());
        System.out.printf(Locale.ROOT, "images: ingest %.1f requests/s, producer perf test %.1f records/s (%.0f%%)%n",
                imageIngest, imageProducer, 100 * imageIngest / imageProducer);
        System.out.printf(Locale.ROOT, "kaption-bench ingest: text_requests_per_s=%.1f producer_perf_records_per_s=%.1f "
                + "ratio=%.3f%n", textIngest, textProducer, textIngest / textProducer);
    }

    private Pair pair(String name, ClosedLoopPosts posts, String body, Admin admin, LocalStack stack,
            int partitions) throws Exception {
        posts.run(body, 202, Duration.ofSeconds(warmupSeconds));
        long before = endOffsets(admin, TOPIC);
        long compiling = BenchMachine.jitMillis();
        long jvmBefore = CpuTimes.thisProcess();
        long clientBefore = posts.cpuNanos();
        OptionalLong brokerBefore = CpuTimes.process(stack.kafka().pid());
        ClosedLoopPosts.Counts counts = posts.run(body, 202, Duration.ofSeconds(seconds));
        long client = posts.cpuNanos() - clientBefore;
        long ingest = CpuTimes.thisProcess() - jvmBefore - client;
        OptionalLong broker = minus(CpuTimes.process(stack.kafka().pid()), brokerBefore);
        long published = endOffsets(admin, TOPIC) - before;
        double jitSeconds = (BenchMachine.jitMillis() - compiling) / 1e3;
        if (counts.other() > 0 || published != counts.expected()) {
            throw new IllegalStateException(name + ": " + counts.expected() + " requests accepted, " + counts.other()
                    + " refused or failed, " + published + " records published");
        }
        long accepted = counts.expected();
        double ingestPerSecond = accepted / (double) seconds;
        int recordBytes = lastRecordBytes(stack.kafkaBootstrapServers());
        System.out.printf(Locale.ROOT, "%s ingest: %d requests accepted and published in %d s: %.1f requests/s "
                + "(records of %d bytes; JIT %.1f s; load %s; CPU per request: the ingest %s, the client %s, the "
                + "broker %s)%n", name, accepted, seconds, ingestPerSecond, recordBytes, jitSeconds,
                BenchMachine.loadAverage(), CpuTimes.perItem(OptionalLong.of(ingest), accepted),
                CpuTimes.perItem(OptionalLong.of(client), accepted), CpuTimes.perItem(broker, accepted));
        String perfTopic = "kaption.bench.perf-" + UUID.randomUUID();
        admin.createTopics(List.of(new NewTopic(perfTopic, partitions, (short) 1))).all().get(1, TimeUnit.MINUTES);
        // About as many bytes as the ingest run published, at least 5 s worth at its rate, so both runs are alike.
        long records = Math.max(Math.max(accepted, (long) (ingestPerSecond * 5)), 1000);
        OptionalLong producerBefore = CpuTimes.endedChildren();
        brokerBefore = CpuTimes.process(stack.kafka().pid());
        double producerPerSecond = producerPerformance(stack.kafkaBootstrapServers(), perfTopic, records, recordBytes);
        OptionalLong producer = minus(CpuTimes.endedChildren(), producerBefore);
        broker = minus(CpuTimes.process(stack.kafka().pid()), brokerBefore);
        System.out.printf(Locale.ROOT, "%s producer perf test: %d records of %d bytes: %.1f records/s (ingest: %.0f%%;"
                + " load %s; CPU per record: the producer's JVM %s, the broker %s)%n", name, records, recordBytes,
                producerPerSecond, 100 * ingestPerSecond / producerPerSecond, BenchMachine.loadAverage(),
                CpuTimes.perItem(producer, records), CpuTimes.perItem(broker, records));
        admin.deleteTopics(List.of(perfTopic)).all().get(1, TimeUnit.MINUTES);
        return new Pair(ingestPerSecond, producerPerSecond, recordBytes);
    }

    private static OptionalLong minus(OptionalLong after, OptionalLong before) {
        return after.isPresent() && before.isPresent()
                ? OptionalLong.of(after.getAsLong() - before.getAsLong()) : OptionalLong.empty();
    }

    private static int partitions(Admin admin, String topic) throws Exception {
        TopicDescription description = admin.describeTopics(Set.of(topic)).allTopicNames().get(1, TimeUnit.MINUTES)
                .get(topic);
        return description.partitions().size();
    }

    private static long endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions(admin, topic); p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get(1, TimeUnit.MINUTES).values().stream()
                .mapToLong(info -> info.offset()).sum();
    }

    /** The value size of the last record the ingest published (all records of a run are alike but their ids). */
    private static int lastRecordBytes(String bootstrap) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
                    .map(info -> new TopicPartition(TOPIC, info.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            TopicPartition fullest = partitions.stream().max((a, b) -> Long.compare(ends.get(a), ends.get(b)))
                    .orElseThrow();
            consumer.seek(fullest, Math.max(0, ends.get(fullest) - 1));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500)).records(fullest)) {
                    return record.value().length;
                }
            }
            throw new IllegalStateException("could not read back a record of " + TOPIC);
        }
    }

    /** Runs {@code org.apache.kafka.tools.ProducerPerformance} in its own JVM, as kafka-producer-perf-test.sh does. */
    private double producerPerformance(String bootstrap, String topic, long records, int recordBytes)
            throws IOException, InterruptedException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", toolsClasspath, "org.apache.kafka.tools.ProducerPerformance",
                "--topic", topic, "--num-records", Long.toString(records), "--record-size", Integer.toString(recordBytes),
                "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all",
                "enable.idempotence=true");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("ProducerPerformance failed:\n" + output);
        }
        Matcher summary = null;
        for (String line : output.split("\\n")) {
            Matcher m = PERF_SUMMARY.matcher(line);
            if (m.find() && Long.parseLong(m.group(1)) == records) {
                summary = m;
            }
        }
        if (summary == null) {
            throw new IllegalStateException("no summary line in ProducerPerformance's output:\n" + output);
        }
        return Double.parseDouble(summary.group(2));
    }

    /** A noisy JPEG of about {@code bytes} bytes (noise keeps JPEG from compressing it away). */
    static byte[] jpeg(int bytes) throws IOException {
        Random random = new Random(7);
        for (int side = 256; ; side += 32) {
            BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    image.setRGB(x, y, random.nextInt(0xFFFFFF));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "jpeg", out);
            if (out.size() >= bytes) {
                return out.toByteArray();
            }
        }
    }
}
