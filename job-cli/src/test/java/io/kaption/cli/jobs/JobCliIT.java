package io.kaption.cli.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.ingest.IngestConfig;
import io.kaption.ingest.IngestService;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The CLI against a real ingest service (its job API) on the shared broker and S3: {@code submit --detach},
 * {@code status --json}, {@code list}, {@code cancel}, and the API's errors as the CLI shows them. No worker and no
 * sink run, so the jobs never finish; what is checked is what the CLI sends and shows.
 */
@ExtendWith(SharedInfrastructure.class)
class JobCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static IngestService ingest;
    private static String group;
    private static String bucket;

    static {
        // The ingest's S3 client takes credentials from the default chain; the test S3 server accepts any.
        System.setProperty("aws.accessKeyId", "kaption");
        System.setProperty("aws.secretAccessKey", "kaption-secret");
    }

    @BeforeAll
    static void start() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        group = "it-job-cli-" + suffix;
        bucket = "it-job-cli-" + suffix;
        SharedInfrastructure.createTopic(Topics.TOKENS, 3);
        SharedInfrastructure.createTopic(Topics.RESULTS, 3);
        SharedInfrastructure.createTopic(Topics.CANCELLATIONS, 1);
        SharedInfrastructure.createTopic(Topics.requests(group), 1);
        S3Client s3 = SharedInfrastructure.s3Client();
        s3.createBucket(b -> b.bucket(bucket));
        for (String key : List.of("photos/cat.png", "photos/dog.png")) {
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(new byte[] {1, 2, 3}));
        }
        ingest = IngestService.start(IngestConfig.fromEnvironment(Map.of(
                IngestConfig.HOST, "127.0.0.1",
                IngestConfig.PORT, "0",
                IngestConfig.KAFKA_BOOTSTRAP_SERVERS, SharedInfrastructure.kafkaBootstrapServers(),
                IngestConfig.S3_ENDPOINT, SharedInfrastructure.s3Endpoint().toString(),
                IngestConfig.IMAGE_BUCKET, bucket,
                // Without workers and a sink the jobs stay as submitted, which is what these tests read back.
                IngestConfig.PLAN_JOBS, "false")));
        // The job API answers 503 not_ready until its directory has read the job topics.
        HttpClient http = HttpClient.newHttpClient();
        URI readyz = URI.create("http://127.0.0.1:" + ingest.port() + "/readyz");
        await().atMost(Duration.ofSeconds(60)).until(() ->
                http.send(HttpRequest.newBuilder(readyz).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (ingest != null) {
            ingest.close();
        }
    }

    private record Run(int status, String out, String err) {
    }

    private static Run kaptionJob(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = JobCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        String[] withUrl = new String[args.length + 2];
        withUrl[0] = "--url";
        withUrl[1] = "http://127.0.0.1:" + ingest.port();
        System.arraycopy(args, 0, withUrl, 2, args.length);
        return new Run(commandLine.execute(withUrl), out.toString(), err.toString());
    }

    /** The design's id of a job with a client token: job- + 32 hex of SHA-256("<group>\n<token>"). */
    private static String jobIdOf(String consumerGroup, String clientToken) throws NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((consumerGroup + "\n" + clientToken).getBytes(StandardCharsets.UTF_8));
        return "job-" + HexFormat.of().formatHex(digest).substring(0, 32);
    }

    @Test
    void submitDetachedThenStatusListAndCancel() throws Exception {
        String token = "nightly-" + UUID.randomUUID();
        String[] submit = {"submit", "s3://" + bucket + "/photos/", "--prompt", "Describe the image.",
                "--output", "s3://" + bucket + "/out", "--consumer-group", group, "--client-token", token,
                "--max-new-tokens", "8", "--sampling-temperature", "0.5", "--detach"};

        Run submitted = kaptionJob(submit);

        String jobId = jobIdOf(group, token);
        assertThat(submitted.status()).as(submitted.err()).isZero();
        assertThat(submitted.out()).isEqualTo(jobId + "\n");
        assertThat(submitted.err()).isEmpty();

        Run status = kaptionJob("status", jobId, "--json");
        assertThat(status.status()).as(status.err()).isZero();
        JsonNode job = JSON.readTree(status.out());
        assertThat(job.get("job_id").textValue()).isEqualTo(jobId);
        assertThat(job.get("input").textValue()).isEqualTo("s3://" + bucket + "/photos/");
        assertThat(job.get("input_format").textValue()).isEqualTo("images");
        assertThat(job.get("output").textValue()).isEqualTo("s3://" + bucket + "/out");
        assertThat(job.get("consumer_group").textValue()).isEqualTo(group);
        assertThat(job.get("client_token").textValue()).isEqualTo(token);
        assertThat(job.get("state").textValue()).isIn("validating", "in_progress");

        Run again = kaptionJob(submit);
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo(jobId + "\n");
        assertThat(again.err()).startsWith("kaption: this client token already submitted " + jobId + " (");

        Run list = kaptionJob("list", "--limit", "100");
        assertThat(list.status()).as(list.err()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow().split(" +"))
                .containsExactly("ID", "STATE", "COMPLETED/TOTAL", "FAILED", "CREATED");
        assertThat(list.out().lines().skip(1).map(row -> row.split(" +")))
                .anySatisfy(row -> {
                    assertThat(row[0]).isEqualTo(jobId);
                    assertThat(row[1]).isIn("validating", "in_progress");
                    assertThat(row[2]).matches("0/(\\?|2)");
                    assertThat(row[3]).isEqualTo("0");
                });

        Run cancelled = kaptionJob("cancel", jobId);
        assertThat(cancelled.status()).as(cancelled.err()).isZero();
        assertThat(cancelled.out()).isEqualTo(jobId + " cancelling\n");
    }

    @Test
    void aClientTokenReusedWithOtherParametersIsRefusedWithTheApisError() {
        String token = "reused-" + UUID.randomUUID();
        Run first = kaptionJob("submit", "s3://" + bucket + "/photos/", "--prompt", "Describe the image.",
                "--output", "s3://" + bucket + "/out", "--consumer-group", group, "--client-token", token, "--detach");
        assertThat(first.status()).as(first.err()).isZero();

        Run second = kaptionJob("submit", "s3://" + bucket + "/photos/", "--prompt", "Another prompt.",
                "--output", "s3://" + bucket + "/out", "--consumer-group", group, "--client-token", token, "--detach");

        assertThat(second.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(second.out()).isEmpty();
        assertThat(second.err()).startsWith("kaption: idempotency_mismatch: ").endsWith(" (HTTP 409)\n");
    }

    @Test
    void anUnknownJobIsTheApisNotFoundError() {
        for (String[] command : List.of(new String[] {"status", "job-00000000000000000000000000000000"},
                new String[] {"cancel", "job-00000000000000000000000000000000"})) {
            Run run = kaptionJob(command);

            assertThat(run.status()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).startsWith("kaption: job_not_found: ").endsWith(" (HTTP 404)\n");
        }
    }
}
