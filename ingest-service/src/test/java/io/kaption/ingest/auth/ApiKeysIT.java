package io.kaption.ingest.auth;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.apikeys.ApiKeys;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult.Usage;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.kaption.ingest.support.IngestFixture.completed;
import static io.kaption.ingest.support.IngestFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * API keys and the per-key rate limit on a real ingest service over HTTP: 401 without or with a wrong key (both
 * headers), 403 for a foreign consumer group on the Takeoff, OpenAI and job endpoints (nothing published), jobs seen
 * and cancelled only by their key, their owner recorded as a fingerprint, 429 with Retry-After, open health routes,
 * and no key in any log line.
 */
@ExtendWith(SharedInfrastructure.class)
class ApiKeysIT {

    private static final String ALL = "k-all-" + UUID.randomUUID();
    private static final String MINE = "k-mine-" + UUID.randomUUID();
    private static final String OTHER = "k-other-" + UUID.randomUUID();
    private static final String BURST = "k-burst-" + UUID.randomUUID();

    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    private static IngestFixture ingest;
    private static IngestFixture limited;

    @BeforeAll
    static void start() {
        LOG.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOG);
        for (String bucket : List.of("kaption-in", "kaption-out")) {
            try {
                SharedInfrastructure.s3Client().createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException e) {
                // created by an earlier test class of this JVM
            }
        }
        SharedInfrastructure.createTopic(Topics.requests("it-keys-other"), 1);
        ingest = IngestFixture.start("keys", Map.of(ApiKeys.VARIABLE,
                ALL + "," + MINE + ":it-keys ," + OTHER + ":it-keys-other|captions"));
        limited = IngestFixture.start("keys-limited", Map.of(ApiKeys.VARIABLE, BURST,
                "KAPTION_API_RATE_LIMIT", "1"));
        for (IngestFixture replica : List.of(ingest, limited)) {
            await().atMost(IngestFixture.WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> replica.get("/readyz").statusCode() == 200);
        }
    }

    @AfterAll
    static void stop() {
        ingest.close();
        limited.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOG);
        List<String> lines = new ArrayList<>();
        synchronized (LOG.list) {
            LOG.list.forEach(event -> lines.add(event.getFormattedMessage()));
        }
        assertThat(lines).isNotEmpty().noneMatch(line -> line.contains(ALL) || line.contains(MINE)
                || line.contains(OTHER) || line.contains(BURST));
    }

    @Test
    void healthRoutesStayOpen() {
        assertThat(ingest.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(ingest.get("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void thePlaygroundIsOpenAndServedFromTheJar() {
        HttpResponse<String> page = ingest.get("/playground");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).startsWith("default-src 'self'"));
        assertThat(page.body()).contains("<title>Kaption playground</title>", "/playground/playground.js")
                .doesNotContain("https://", "http://");
        HttpResponse<String> script = ingest.get("/playground/playground.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
        assertThat(script.body()).contains("Authorization: 'Bearer '");
        assertThat(ingest.get("/playground/playground.css").statusCode()).isEqualTo(200);
        assertThat(ingest.get("/playground/pom.xml").statusCode()).isEqualTo(404);
        assertThat(ingest.get("/playground/..%2fIngestService.class").statusCode()).isEqualTo(404);
    }

    @Test
    void noKeyOrAWrongKeyIs401Json() {
        String body = "{\"text\":\"hi\",\"consumer_group\":\"it-keys\"}";
        HttpResponse<String> missing = ingest.send(ingest.jsonRequest("/generate", IngestFixture.newRequestId(), body));
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(json(missing.body()).at("/error/code").asText()).isEqualTo("missing_api_key");

        HttpResponse<String> wrong = ingest.send(ingest.jsonRequest("/generate", IngestFixture.newRequestId(), body)
                .header("Authorization", "Bearer " + ALL + "x"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json(wrong.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");

        HttpResponse<String> wrongHeader = ingest.send(ingest.jsonRequest("/v1/chat/completions",
                IngestFixture.newRequestId(), "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .header("X-API-Key", "nope"));
        assertThat(wrongHeader.statusCode()).isEqualTo(401);
        JsonNode error = json(wrongHeader.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error"); // OpenAI's shape on its route

        assertThat(ingest.get("/v1/jobs").statusCode()).isEqualTo(401);
    }

    @Test
    void aKeyMayUseItsGroupsWithEitherHeader() {
        String viaBearer = IngestFixture.newRequestId();
        CompletableFuture<HttpResponse<String>> answer = ingest.sendAsync(ingest.jsonRequest("/generate", viaBearer,
                "{\"text\":\"hi\",\"consumer_group\":\"it-keys\"}").header("Authorization", "Bearer " + MINE));
        ingest.awaitRequest(viaBearer);
        ingest.result(completed(viaBearer, Texts.of("hello"), FinishReason.STOP, Usage.of(3, 1)));
        HttpResponse<String> response = IngestFixture.await(answer);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).get("text").asText()).isEqualTo("hello");

        String viaHeader = IngestFixture.newRequestId();
        answer = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions", viaHeader, "{\"model\":\"it-keys\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").header("X-API-Key", ALL));
        ingest.awaitRequest(viaHeader);
        ingest.result(completed(viaHeader, Texts.of("hello"), FinishReason.STOP, Usage.of(3, 1)));
        response = IngestFixture.await(answer);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).get("model").asText()).isEqualTo("it-keys");
    }

    @Test
    void aForeignGroupIs403AndNothingIsPublished() {
        String takeoff = IngestFixture.newRequestId();
        HttpResponse<String> refused = ingest.send(ingest.jsonRequest("/generate", takeoff,
                "{\"text\":\"hi\",\"consumer_group\":\"it-keys\"}").header("Authorization", "Bearer " + OTHER));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(json(refused.body()).at("/error/code").asText()).isEqualTo("group_not_allowed");
        assertThat(json(refused.body()).at("/error/message").asText())
                .contains("'it-keys'", "captions, it-keys-other");

        String chat = IngestFixture.newRequestId();
        refused = ingest.send(ingest.jsonRequest("/v1/chat/completions", chat, "{\"model\":\"it-keys\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").header("Authorization", "Bearer " + OTHER));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(json(refused.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");

        HttpResponse<String> job = ingest.send(ingest.jsonRequest("/v1/jobs", IngestFixture.newRequestId(),
                imagesJob("it-keys", null)).header("Authorization", "Bearer " + OTHER));
        assertThat(job.statusCode()).isEqualTo(403);

        ingest.assertNothingPublished(takeoff);
        ingest.assertNothingPublished(chat);
    }

    @Test
    void aKeySeesListsAndCancelsOnlyItsOwnJobs() {
        String token = "tok-" + UUID.randomUUID();
        HttpResponse<String> submitted = ingest.send(ingest.jsonRequest("/v1/jobs", IngestFixture.newRequestId(),
                imagesJob("it-keys", token)).header("Authorization", "Bearer " + MINE));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
        String jobId = json(submitted.body()).get("job_id").asText();

        // The same token from another key is another job.
        HttpResponse<String> othersJob = ingest.send(ingest.jsonRequest("/v1/jobs", IngestFixture.newRequestId(),
                imagesJob("it-keys", token)).header("Authorization", "Bearer " + ALL));
        assertThat(othersJob.statusCode()).isEqualTo(201);
        assertThat(json(othersJob.body()).get("job_id").asText()).isNotEqualTo(jobId);

        assertThat(withKey("/v1/jobs/" + jobId, MINE).statusCode()).isEqualTo(200);
        HttpResponse<String> hidden = withKey("/v1/jobs/" + jobId, ALL);
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(json(hidden.body()).at("/error/code").asText()).isEqualTo("job_not_found");
        assertThat(ids(withKey("/v1/jobs?limit=100", MINE))).contains(jobId);
        assertThat(ids(withKey("/v1/jobs?limit=100", ALL))).doesNotContain(jobId)
                .contains(json(othersJob.body()).get("job_id").asText());
        assertThat(withKey("/v1/jobs?after=" + jobId, ALL).statusCode()).isEqualTo(400);

        HttpRequest.Builder cancel = HttpRequest.newBuilder(ingest.uri("/v1/jobs/" + jobId + "/cancel"))
                .timeout(IngestFixture.WAIT).POST(HttpRequest.BodyPublishers.noBody());
        assertThat(ingest.send(cancel.copy().header("Authorization", "Bearer " + ALL)).statusCode()).isEqualTo(404);
        HttpResponse<String> cancelled = ingest.send(cancel.copy().header("Authorization", "Bearer " + MINE));
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(json(cancelled.body()).get("state").asText()).isEqualTo("cancelling");

        // The spec on kaption.jobs names the key by its fingerprint, never the key itself.
        JsonNode spec = IngestFixture.awaitRecord(Topics.JOBS, jobId);
        assertThat(spec.get("owner").asText()).isEqualTo(ApiKeys.fingerprint(MINE));
        assertThat(spec.toString()).doesNotContain(MINE);
    }

    @Test
    void aKeyOverItsRateGets429WithRetryAfter() {
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            responses.add(limited.send(HttpRequest.newBuilder(limited.uri("/v1/jobs")).timeout(IngestFixture.WAIT)
                    .header("X-API-Key", BURST).GET()));
        }
        assertThat(responses.get(0).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst()
                .orElseThrow(() -> new AssertionError("4 requests within a second at 1 request/s all passed"));
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        assertThat(json(refused.body()).at("/error/code").asText()).isEqualTo("rate_limited");
        for (int i = 0; i < 4; i++) {
            assertThat(limited.get("/healthz").statusCode()).as("health is never limited").isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300)).until(() -> limited.send(
                HttpRequest.newBuilder(limited.uri("/v1/jobs")).header("X-API-Key", BURST).GET()).statusCode() == 200);
    }

    private static HttpResponse<String> withKey(String path, String key) {
        return ingest.send(HttpRequest.newBuilder(ingest.uri(path)).timeout(IngestFixture.WAIT)
                .header("Authorization", "Bearer " + key).GET());
    }

    private static List<String> ids(HttpResponse<String> page) {
        assertThat(page.statusCode()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        json(page.body()).get("data").forEach(job -> ids.add(job.get("job_id").asText()));
        return ids;
    }

    private static String imagesJob(String group, String token) {
        return "{\"input\":\"s3://kaption-in/keys-" + UUID.randomUUID() + "/\",\"output\":\"s3://kaption-out/keys/\","
                + "\"template\":{\"text\":\"Describe.\"},\"consumer_group\":\"" + group + "\""
                + (token == null ? "" : ",\"client_token\":\"" + token + "\"") + "}";
    }

}
