package io.kaption.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kaption.events.RequestEventHub;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Texts;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.sink.output.OutputsConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** A real sink (real hub, real HTTP server) fed by a real producer through the shared broker, read over HTTP. */
@ExtendWith(SharedInfrastructure.class)
class ResultSinkIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKENS = "kaption.tokens.it-" + UUID.randomUUID();
    private static final String RESULTS = "kaption.results.it-" + UUID.randomUUID();

    private static KafkaProducer<String, byte[]> producer;
    private static ResultSink sink;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        // The sink's S3 client uses the default credentials chain; the local S3 takes any keys.
        System.setProperty("aws.accessKeyId", "kaption");
        System.setProperty("aws.secretAccessKey", "kaption-secret");
        SharedInfrastructure.createTopic(TOKENS, 3);
        SharedInfrastructure.createTopic(RESULTS, 2);
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        sink = ResultSink.start(config(TOKENS, RESULTS));
        http = HttpClient.newHttpClient();
        await().atMost(WAIT).until(() -> get(sink, "/readyz").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (sink != null) {
            sink.close();
        }
        if (producer != null) {
            producer.close();
        }
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private static ResultSinkConfig config(String tokensTopic, String resultsTopic) {
        return ResultSinkConfig.defaults(SharedInfrastructure.kafkaBootstrapServers())
                .withHost("127.0.0.1")
                .withPort(0)
                .withEvents(RequestEventHub.Config.defaults(SharedInfrastructure.kafkaBootstrapServers())
                        .withTopics(tokensTopic, resultsTopic))
                .withOutputs(OutputsConfig.defaults().withS3Endpoint(SharedInfrastructure.s3Endpoint()));
    }

    @Test
    void streamsTokenEventsThenTheResultInTheSseWireFormat() {
        String id = "req-" + UUID.randomUUID();
        try (SseClient live = SseClient.open(http, eventsUri(sink, id), Map.of())) {
            assertThat(live.response.statusCode()).isEqualTo(200);
            assertThat(live.response.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
            assertThat(live.response.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(live.response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
            await().atMost(WAIT).until(() -> sink.subscriptionCount() == 1);

            long first = send(TokenEvent.chunk(id, 0, 0, "A \"cat\"\n"));
            long second = send(TokenEvent.chunk(id, 0, 1, " – ü"));
            long last = send(TokenEvent.last(id, 0, 2, "", FinishReason.STOP));
            send(new GenerationResult(id, Texts.of("A \"cat\"\n – ü"), FinishReason.STOP,
                    GenerationResult.Usage.of(3, 2), null, "job-1", "rec-1", 1L, 2L, null, null, null));

            List<String> expected = List.of(
                    "id: " + first + "\nevent: token\ndata: {\"text\":\"A \\\"cat\\\"\\n\",\"batch_id\":0,\"index\":0}",
                    "id: " + second + "\nevent: token\ndata: {\"text\":\" – ü\",\"batch_id\":0,\"index\":1}",
                    "id: " + last + "\nevent: token\ndata: {\"text\":\"\",\"batch_id\":0,\"index\":2,"
                            + "\"finish_reason\":\"stop\"}",
                    "event: result\ndata: {\"request_id\":\"" + id + "\",\"text\":\"A \\\"cat\\\"\\n – ü\","
                            + "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                            + "\"total_tokens\":5},\"job_id\":\"job-1\",\"record_id\":\"rec-1\",\"queued_ms\":1,"
                            + "\"inference_ms\":2}");
            assertThat(live.rest()).isEqualTo(expected);

            try (SseClient replay = SseClient.open(http, eventsUri(sink, id), Map.of())) {
                assertThat(replay.rest()).isEqualTo(expected);
            }
        }
        await().atMost(WAIT).until(() -> sink.openStreams() == 0);
    }

    @Test
    void aReplayIsStreamedOnceAndADivergingOneRestartsTheStreamResumably() {
        String id = "req-" + UUID.randomUUID();
        try (SseClient live = SseClient.open(http, eventsUri(sink, id), Map.of())) {
            await().atMost(WAIT).until(() -> sink.subscriptionCount() == 1);
            long a0 = send(TokenEvent.chunk(id, 0, 0, "A").withAttempt("w1-1"));
            long a1 = send(TokenEvent.chunk(id, 0, 1, " grey").withAttempt("w1-1"));
            // w1 died; w2's replay repeats the first chunk, then differs.
            send(TokenEvent.chunk(id, 0, 0, "A").withAttempt("w2-1"));
            long restart = send(TokenEvent.chunk(id, 0, 1, " black").withAttempt("w2-1"));
            long b2 = send(TokenEvent.last(id, 0, 2, "", FinishReason.STOP).withAttempt("w2-1"));
            send(new GenerationResult(id, Texts.of("A black"), FinishReason.STOP, GenerationResult.Usage.of(3, 2),
                    null, null, null, 1L, 2L, null, null, null));

            List<String> events = live.rest();
            assertThat(events).hasSize(5);
            assertThat(events.subList(0, 4)).containsExactly(
                    "id: " + a0 + "\nevent: token\ndata: {\"text\":\"A\",\"batch_id\":0,\"index\":0}",
                    "id: " + a1 + "\nevent: token\ndata: {\"text\":\" grey\",\"batch_id\":0,\"index\":1}",
                    "id: " + restart + "\nevent: restart\ndata: {\"batch_id\":0,\"text\":\"A black\"}",
                    "id: " + b2 + "\nevent: token\ndata: {\"text\":\"\",\"batch_id\":0,\"index\":2,"
                            + "\"finish_reason\":\"stop\"}");
            assertThat(events.get(4)).startsWith("event: result\n");

            try (SseClient resumed = SseClient.open(http, eventsUri(sink, id), Map.of("Last-Event-ID", "" + a1))) {
                assertThat(resumed.rest()).isEqualTo(events.subList(2, 5));
            }
        }
    }

    @Test
    void aResumedStreamLosesAndRepeatsNothing() {
        String id = "req-" + UUID.randomUUID();
        List<Long> offsets = new ArrayList<>();
        for (int index = 0; index < 3; index++) {
            offsets.add(send(TokenEvent.chunk(id, 0, index, "t" + index)));
        }
        List<String> firstPart;
        try (SseClient first = SseClient.open(http, eventsUri(sink, id), Map.of())) {
            firstPart = first.next(2);
        } // the client drops after two events

        offsets.add(send(TokenEvent.chunk(id, 0, 3, "t3")));
        offsets.add(send(TokenEvent.last(id, 0, 4, "", FinishReason.LENGTH)));
        send(new GenerationResult(id, Texts.of("t0t1t2t3"), FinishReason.LENGTH, GenerationResult.Usage.of(1, 5),
                null, null, null, null, null, null, null, null));
        List<String> resumed;
        try (SseClient second = SseClient.open(http, eventsUri(sink, id),
                Map.of("Last-Event-ID", String.valueOf(offsets.get(1))))) {
            resumed = second.rest();
        }
        List<String> byQuery;
        try (SseClient third = SseClient.open(http,
                URI.create(eventsUri(sink, id) + "?last_event_id=" + offsets.get(3)), Map.of())) {
            byQuery = third.rest();
        }

        List<String> all = new ArrayList<>(firstPart);
        all.addAll(resumed);
        assertThat(ids(all)).containsExactlyElementsOf(offsets);
        assertThat(all.get(0)).isEqualTo("id: " + offsets.get(0) + "\nevent: token\n"
                + "data: {\"text\":\"t0\",\"batch_id\":0,\"index\":0}");
        assertThat(all.get(4)).isEqualTo("id: " + offsets.get(4) + "\nevent: token\n"
                + "data: {\"text\":\"\",\"batch_id\":0,\"index\":4,\"finish_reason\":\"length\"}");
        assertThat(all.get(5)).startsWith("event: result\ndata: {\"request_id\":\"" + id + "\",\"text\":\"t0t1t2t3\"");
        assertThat(all).hasSize(6);
        assertThat(ids(byQuery)).containsExactly(offsets.get(4));
        assertThat(byQuery.get(1)).isEqualTo(all.get(5));
    }

    @Test
    void aNonStreamingRequestStreamsOnlyItsResult() {
        String id = "req-" + UUID.randomUUID();
        send(new GenerationResult(id, null, FinishReason.ERROR, null,
                new GenerationResult.Failure("image_unavailable", "s3://b/k: NoSuchKey"), null, null, null, null, null,
                null, null));

        try (SseClient stream = SseClient.open(http, eventsUri(sink, id), Map.of())) {
            assertThat(stream.rest()).containsExactly("event: result\ndata: {\"request_id\":\"" + id + "\","
                    + "\"finish_reason\":\"error\",\"error\":{\"code\":\"image_unavailable\","
                    + "\"message\":\"s3://b/k: NoSuchKey\"}}");
        }
    }

    @Test
    void aClientThatDisconnectsIsUnsubscribed() {
        String id = "req-" + UUID.randomUUID();
        SseClient stream = SseClient.open(http, eventsUri(sink, id), Map.of());
        await().atMost(WAIT).until(() -> sink.openStreams() == 1 && sink.subscriptionCount() == 1);

        stream.close();

        await().atMost(WAIT).until(() -> sink.openStreams() == 0 && sink.subscriptionCount() == 0);
    }

    @Test
    void aClientThatStopsReadingIsUnsubscribedUntilItCatchesUpAndLosesNothing() throws Exception {
        String id = "req-" + UUID.randomUUID();
        // About 8 MB of events: more than the kernel's socket buffers take, so the server's write queue fills.
        String text = "x".repeat(1000);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int index = 0; index < 8000; index++) {
            TokenEvent event = TokenEvent.chunk(id, 0, index, text);
            sent.add(producer.send(new ProducerRecord<>(TOKENS, id, ContractCodec.TOKENS.encode(event))));
        }
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> metadata : sent) {
            offsets.add(metadata.get(WAIT.toSeconds(), TimeUnit.SECONDS).offset());
        }

        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096); // before connecting: no window scaling beyond it
            socket.connect(new InetSocketAddress("127.0.0.1", sink.port()));
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(("GET /v1/requests/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));

            // Not reading: the sink stops following the request rather than buffering its events.
            await().atMost(WAIT).until(() -> sink.openStreams() == 1 && sink.subscriptionCount() == 0);

            offsets.add(send(TokenEvent.last(id, 0, 8000, "", FinishReason.STOP)));
            GenerationResult result = new GenerationResult(id, Texts.of("the whole text"), FinishReason.STOP, null,
                    null, null, null, null, null, null, null, null);
            send(result);
            List<String> blocks = sseBlocks(chunkedBody(socket.getInputStream()));

            assertThat(blocks).last().isEqualTo("event: result\ndata: "
                    + new String(ContractCodec.RESULTS.encode(result), StandardCharsets.UTF_8));
            assertThat(ids(blocks)).isEqualTo(offsets);
            assertThat(blocks).filteredOn(block -> block.startsWith("id: ")).hasSize(offsets.size());
        }
        await().atMost(WAIT).until(() -> sink.openStreams() == 0 && sink.subscriptionCount() == 0);
    }

    @Test
    void aClientThatReadsNothingForTheEventWaitIsDisconnected() throws Exception {
        String id = "req-" + UUID.randomUUID();
        String text = "x".repeat(1000);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int index = 0; index < 8000; index++) { // more than the socket buffers take, as above
            TokenEvent event = TokenEvent.chunk(id, 0, index, text);
            sent.add(producer.send(new ProducerRecord<>(TOKENS, id, ContractCodec.TOKENS.encode(event))));
        }
        for (Future<RecordMetadata> metadata : sent) {
            metadata.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        try (ResultSink shortWait = ResultSink.start(config(TOKENS, RESULTS).withEventWait(Duration.ofSeconds(2)));
             Socket socket = new Socket()) {
            await().atMost(WAIT).until(() -> get(shortWait, "/readyz").statusCode() == 200);
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", shortWait.port()));
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(("GET /v1/requests/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> shortWait.openStreams() == 1);

            await().atMost(WAIT).until(() -> shortWait.openStreams() == 0 && shortWait.subscriptionCount() == 0);
            assertThatThrownBy(() -> chunkedBody(socket.getInputStream())).isInstanceOf(IOException.class);
        }
    }

    @Test
    void anUnknownRequestTimesOutWithAnErrorEventAfterHeartbeats() {
        // Topics that do not exist: the hub waits for them, so nothing is ever heard of the request.
        ResultSinkConfig shortWait = config("kaption.tokens.absent-" + UUID.randomUUID(),
                "kaption.results.absent-" + UUID.randomUUID())
                .withEventWait(Duration.ofSeconds(2))
                .withHeartbeat(Duration.ofMillis(300));
        try (ResultSink waiting = ResultSink.start(shortWait)) {
            HttpResponse<String> notReady = get(waiting, "/readyz");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).isEqualTo("{\"error\":{\"code\":\"not_ready\",\"message\":\"not yet reading "
                    + shortWait.events().tokensTopic() + " and " + shortWait.events().resultsTopic() + "\"}}");

            try (SseClient stream = SseClient.open(http, eventsUri(waiting, "queued-1"), Map.of())) {
                List<String> blocks = stream.rest();

                assertThat(blocks.get(blocks.size() - 1)).isEqualTo("event: error\ndata: {\"error\":{\"code\":"
                        + "\"timeout\",\"message\":\"no events for request queued-1 within 2 s\"}}");
                assertThat(blocks.subList(0, blocks.size() - 1)).isNotEmpty().allMatch(": keep-alive"::equals);
            }
            await().atMost(WAIT).until(() -> waiting.openStreams() == 0 && waiting.subscriptionCount() == 0);
        }
    }

    @Test
    void resultLookupAnswersTheResultOrPending() throws Exception {
        String id = "req-" + UUID.randomUUID();
        HttpResponse<String> pendingNow = get(sink, "/v1/requests/" + id + "?wait=0");
        assertThat(pendingNow.statusCode()).isEqualTo(202);
        assertThat(pendingNow.body()).isEqualTo("{\"request_id\":\"" + id + "\",\"status\":\"pending\"}");
        HttpResponse<String> pendingLater = get(sink, "/v1/requests/" + id + "?wait=1");
        assertThat(pendingLater.statusCode()).isEqualTo(202);

        CompletableFuture<HttpResponse<String>> waiting = getAsync(sink, "/v1/requests/" + id + "?wait=60");
        await().atMost(WAIT).until(() -> sink.subscriptionCount() == 1);
        send(new GenerationResult(id, Texts.ofList(List.of("a", "b")), FinishReason.STOP,
                GenerationResult.Usage.of(4, 2), null, null, null, 7L, 8L, null, null, null));
        HttpResponse<String> done = waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        String expected = "{\"request_id\":\"" + id + "\",\"text\":[\"a\",\"b\"],\"finish_reason\":\"stop\","
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6},\"queued_ms\":7,"
                + "\"inference_ms\":8}";
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(done.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(done.body()).isEqualTo(expected);
        HttpResponse<String> again = get(sink, "/v1/requests/" + id);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(expected);
        assertThat(sink.subscriptionCount()).isZero();
    }

    @Test
    void writesAResultWithAnOutputUriToS3() {
        String bucket = "sink-outputs-" + UUID.randomUUID().toString().substring(0, 8);
        SharedInfrastructure.s3Client().createBucket(b -> b.bucket(bucket));
        GenerationResult result = new GenerationResult("req-" + UUID.randomUUID(), Texts.of("A cat."),
                FinishReason.STOP, GenerationResult.Usage.of(3, 2), null, "job-1", "rec-1", 1L, 2L,
                "s3://" + bucket + "/job-1/rec-1.json", null, null);
        send(result);

        await().atMost(WAIT).ignoreExceptionsInstanceOf(NoSuchKeyException.class)
                .untilAsserted(() -> assertThat(SharedInfrastructure.s3Client()
                .getObjectAsBytes(b -> b.bucket(bucket).key("job-1/rec-1.json")).asByteArray())
                .isEqualTo(ContractCodec.RESULTS.encode(result)));
    }

    @Test
    void requestIdsArePercentDecodedPathSegments() {
        String id = "job 7/rec+42";
        send(new GenerationResult(id, Texts.of("x"), FinishReason.STOP, null, null, null, null, null, null, null, null,
                null));

        HttpResponse<String> result = get(sink, "/v1/requests/"
                + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20") + "?wait=60");

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.body()).isEqualTo("{\"request_id\":\"job 7/rec+42\",\"text\":\"x\",\"finish_reason\":\"stop\"}");
    }

    @Test
    void badRequestsGetJsonErrors() {
        assertError(get(sink, "/v1/requests/r1?wait=soon"), 400, "invalid_wait",
                "wait must be a whole number of seconds from 0 to 300, got 'soon'");
        assertError(get(sink, "/v1/requests/r1?wait=301"), 400, "invalid_wait",
                "wait must be a whole number of seconds from 0 to 300, got '301'");
        assertError(get(sink, "/v1/requests/r1/events?last_event_id=abc"), 400, "invalid_last_event_id",
                "the last event id must be an event id this stream sent (an integer), got 'abc'");
        assertError(get(sink, "/v1/requests/" + "x".repeat(257)), 400, "invalid_request_id",
                "a request id has at most 256 characters");
        assertError(get(sink, "/v1/nothing"), 404, "not_found", "no such resource: /v1/nothing");
        assertError(get(sink, "/v1/requests/"), 404, "not_found", "no such resource: /v1/requests/");
        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(base(sink) + "/v1/requests/r1"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError(post, 405, "method_not_allowed", "POST is not allowed on /v1/requests/r1");
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void aMalformedQueryStringGetsAJsonError() throws IOException {
        // Sent as raw bytes: the JDK client refuses to send an invalid URI.
        String error = "{\"error\":{\"code\":\"invalid_query\","
                + "\"message\":\"the query string is not valid percent-encoding\"}}";
        String expected = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                + "connection: close\r\ncontent-length: " + error.length() + "\r\n\r\n" + error;

        assertThat(rawGet(sink, "/v1/requests/r1?wait=%zz")).isEqualTo(expected);
        assertThat(rawGet(sink, "/v1/requests/r1/events?last_event_id=%zz")).isEqualTo(expected);
    }

    @Test
    void healthAndReadiness() {
        HttpResponse<String> health = get(sink, "/healthz");
        HttpResponse<String> ready = get(sink, "/readyz");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
    }

    private static void assertError(HttpResponse<String> response, int status, String code, String message) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
    }

    /** The body of a chunked HTTP/1.1 response, read to its last chunk (the head is skipped). */
    private static String chunkedBody(InputStream in) throws IOException {
        while (!line(in).isEmpty()) {
            // the status line and the headers
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int size = Integer.parseInt(line(in), 16); size > 0; size = Integer.parseInt(line(in), 16)) {
            body.write(in.readNBytes(size));
            line(in); // the CRLF after the chunk
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int next = in.read(); next != '\n'; next = in.read()) {
            if (next < 0) {
                throw new IOException("the response ended early");
            }
            if (next != '\r') {
                line.append((char) next);
            }
        }
        return line.toString();
    }

    /** The SSE blocks of a body, heartbeats left out. */
    private static List<String> sseBlocks(String body) {
        List<String> blocks = new ArrayList<>(List.of(body.split("\n\n")));
        blocks.removeIf(": keep-alive"::equals);
        return blocks;
    }

    private static List<Long> ids(List<String> blocks) {
        return blocks.stream()
                .filter(block -> block.startsWith("id: "))
                .map(block -> Long.parseLong(block.substring(4, block.indexOf('\n'))))
                .toList();
    }

    private static long send(TokenEvent event) {
        return send(new ProducerRecord<>(TOKENS, event.requestId(), ContractCodec.TOKENS.encode(event)));
    }

    private static void send(GenerationResult result) {
        send(new ProducerRecord<>(RESULTS, result.requestId(), ContractCodec.RESULTS.encode(result)));
    }

    private static long send(ProducerRecord<String, byte[]> record) {
        try {
            return producer.send(record).get(WAIT.toSeconds(), TimeUnit.SECONDS).offset();
        } catch (Exception e) {
            throw new IllegalStateException("sending to " + record.topic() + " failed", e);
        }
    }

    private static String base(ResultSink target) {
        return "http://127.0.0.1:" + target.port();
    }

    private static URI eventsUri(ResultSink target, String requestId) {
        return URI.create(base(target) + "/v1/requests/" + requestId + "/events");
    }

    private static HttpResponse<String> get(ResultSink target, String path) {
        // A request the server never answers fails the test instead of hanging it.
        return send(HttpRequest.newBuilder(URI.create(base(target) + path)).timeout(WAIT).GET().build());
    }

    /** The whole response to a GET sent as raw HTTP/1.1 bytes (the server closes the connection after it). */
    private static String rawGet(ResultSink target, String rawPath) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", target.port())) {
            socket.setSoTimeout((int) WAIT.toMillis()); // an unanswered request fails the test instead of hanging it
            socket.getOutputStream().write(("GET " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(ResultSink target, String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(base(target) + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
