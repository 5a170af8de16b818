package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.ingest.support.Multipart;
import io.kaption.ingest.support.TestImages;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult.Usage;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.kaption.ingest.support.IngestFixture.await;
import static io.kaption.ingest.support.IngestFixture.completed;
import static io.kaption.ingest.support.IngestFixture.failed;
import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/** Takeoff's endpoints on a real broker: the records they publish and the answers they give from the worker's events. */
@ExtendWith(SharedInfrastructure.class)
class TakeoffEndpointsIT {

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("takeoff", Map.of());
        group = ingest.group();
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void generatePublishesTheTakeoffRequestWithTheContractDefaultsAndAnswersWithTheResultText() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\",\"max_new_tokens\":16,"
                        + "\"sampling_topk\":5,\"regex_string\":\"[a-z]+\"}"));

        assertThat(ingest.awaitRequest(id)).isEqualTo(json("{\"request_id\":\"" + id + "\",\"text\":\"Describe it.\","
                + "\"stream\":false,\"consumer_group\":\"" + group + "\",\"sampling_temperature\":1.0,"
                + "\"sampling_topp\":1.0,\"sampling_topk\":5,\"repetition_penalty\":1.0,\"no_repeat_ngram_size\":0,"
                + "\"max_new_tokens\":16,\"min_new_tokens\":0,\"regex_string\":\"[a-z]+\","
                + "\"use_chat_template\":true}"));

        ingest.result(completed(id, Texts.of("a cat"), FinishReason.STOP, Usage.of(12, 2)));
        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(answer.headers().firstValue("X-Request-Id")).hasValue(id);
        assertThat(answer.body()).isEqualTo("{\"text\":\"a cat\"}");
    }

    @Test
    void aListOfPromptsIsAnsweredAsAListAndReturnMetadataAddsTheTokenCounts() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate", id,
                "{\"text\":[\"What animal?\",\"What colour?\"],\"consumer_group\":\"" + group + "\","
                        + "\"return_metadata\":true}"));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("text")).isEqualTo(json("[\"What animal?\",\"What colour?\"]"));
        assertThat(record.has("return_metadata")).isFalse();

        ingest.result(completed(id, Texts.ofList(List.of("A cat.", "Grey.")), FinishReason.STOP, Usage.of(40, 6)));
        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("{\"text\":[\"A cat.\",\"Grey.\"],"
                + "\"metadata\":{\"prompt_tokens\":40,\"completion_tokens\":6,\"total_tokens\":46}}");
    }

    @Test
    void generateStreamSendsOneTakeoffEventPerChunk() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate_stream", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));

        assertThat(ingest.awaitRequest(id).get("stream").booleanValue()).isTrue();
        ingest.token(id, 0, 0, "A");
        ingest.token(id, 0, 1, " cat");
        ingest.lastToken(id, 0, 2, ".", FinishReason.STOP);
        ingest.result(completed(id, Texts.of("A cat."), FinishReason.STOP, Usage.of(12, 3)));

        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(answer.headers().firstValue("X-Request-Id")).hasValue(id);
        assertThat(answer.body()).isEqualTo(
                "data: {\"text\":\"A\",\"batch_id\":0}\n\n"
                        + "data: {\"text\":\" cat\",\"batch_id\":0}\n\n"
                        + "data: {\"text\":\".\",\"batch_id\":0}\n\n");
    }

    @Test
    void aRequestGeneratedAgainAfterAWorkerCrashStreamsEveryChunkOnce() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate_stream", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));

        ingest.awaitRequest(id);
        ingest.token("w1-1", id, 0, 0, "A");
        ingest.token("w1-1", id, 0, 1, " cat");
        // w1 died; w2 generates the request again from the start.
        ingest.token("w2-1", id, 0, 0, "A");
        ingest.token("w2-1", id, 0, 1, " cat");
        ingest.token("w2-1", id, 0, 2, ".");
        ingest.lastToken("w2-1", id, 0, 3, FinishReason.STOP);
        ingest.result(completed(id, Texts.of("A cat."), FinishReason.STOP, Usage.of(12, 3)));

        assertThat(await(response).body()).isEqualTo(
                "data: {\"text\":\"A\",\"batch_id\":0}\n\n"
                        + "data: {\"text\":\" cat\",\"batch_id\":0}\n\n"
                        + "data: {\"text\":\".\",\"batch_id\":0}\n\n");
    }

    @Test
    void aReplayWithDifferentTextEndsTheStreamWithStreamRestarted() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate_stream", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));

        ingest.awaitRequest(id);
        ingest.token("w1-1", id, 0, 0, "A");
        ingest.token("w1-1", id, 0, 1, " cat");
        ingest.token("w2-1", id, 0, 0, "A");
        ingest.token("w2-1", id, 0, 1, " dog");

        String body = await(response).body();
        assertThat(body).startsWith("data: {\"text\":\"A\",\"batch_id\":0}\n\n"
                + "data: {\"text\":\" cat\",\"batch_id\":0}\n\n"
                + "event: error\ndata: {\"error\":{\"code\":\"stream_restarted\",\"message\":\"the worker generating "
                + "request " + id + " failed");
        assertThat(body).doesNotContain("dog");
    }

    @Test
    void aStreamedListTellsItsPromptsApartByBatchIdAndEndsWithTheMetadata() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate_stream", id,
                "{\"text\":[\"Colour?\",\"Shape?\"],\"consumer_group\":\"" + group + "\",\"return_metadata\":true}"));

        ingest.awaitRequest(id);
        ingest.token(id, 0, 0, "Red");
        ingest.token(id, 1, 0, "Round");
        ingest.lastToken(id, 0, 1, "", FinishReason.STOP);
        ingest.lastToken(id, 1, 1, ".", FinishReason.LENGTH);
        ingest.result(completed(id, Texts.ofList(List.of("Red", "Round.")), FinishReason.LENGTH, Usage.of(20, 5)));

        assertThat(await(response).body()).isEqualTo(
                "data: {\"text\":\"Red\",\"batch_id\":0}\n\n"
                        + "data: {\"text\":\"Round\",\"batch_id\":1}\n\n"
                        + "data: {\"text\":\".\",\"batch_id\":1}\n\n"
                        + "data: {\"text\":\"\",\"batch_id\":1,\"metadata\":"
                        + "{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25}}\n\n");
    }

    @Test
    void imageGenerateTakesTakeoffsMultipartFormWithJsonDataAsAPlainField() {
        byte[] png = TestImages.smallPng(16, 12);
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "img.png", png);
        CompletableFuture<HttpResponse<String>> response =
                ingest.sendAsync(ingest.multipartRequest("/image_generate", id, form));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("image_url").textValue())
                .isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(png));
        assertThat(record.get("text").textValue()).isEqualTo("What is this?");

        ingest.result(completed(id, Texts.of("A blue square."), FinishReason.STOP, Usage.of(600, 4)));
        assertThat(await(response).body()).isEqualTo("{\"text\":\"A blue square.\"}");
    }

    @Test
    void imageGenerateStreamAcceptsJsonDataAsAFilePartToo() {
        byte[] png = TestImages.smallPng(8, 8);
        String id = newRequestId();
        Multipart form = new Multipart()
                .file("image_data", "img.png", png)
                .file("json_data", "request.json",
                        ("{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}").getBytes(StandardCharsets.UTF_8));
        CompletableFuture<HttpResponse<String>> response =
                ingest.sendAsync(ingest.multipartRequest("/image_generate_stream", id, form));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("stream").booleanValue()).isTrue();
        assertThat(record.get("image_url").textValue())
                .isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(png));

        ingest.lastToken(id, 0, 0, "Blue.", FinishReason.STOP);
        ingest.result(completed(id, Texts.of("Blue."), FinishReason.STOP, Usage.of(600, 2)));
        assertThat(await(response).body()).isEqualTo("data: {\"text\":\"Blue.\",\"batch_id\":0}\n\n");
    }

    @Test
    void aJsonDataFieldFarLargerThanVertxsDefaultFormLimitIsAccepted() {
        String prompt = "Describe it. ".repeat(20_000) + "Briefly.";
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"" + prompt + "\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "img.png", TestImages.smallPng(8, 8));
        ingest.sendAsync(ingest.multipartRequest("/image_generate", id, form));

        String published = ingest.awaitRequest(id).get("text").textValue();
        assertThat(published.length()).isEqualTo(prompt.length());
        assertThat(published.equals(prompt)).as("the published prompt is the one sent").isTrue();
    }

    @Test
    void aRequestLargerThanKafkaTakesIs413AndNothingIsPublished() {
        String id = newRequestId();
        HttpResponse<String> answer = ingest.send(ingest.jsonRequest("/generate", id,
                "{\"text\":\"" + "x".repeat(1_200_000) + "\",\"consumer_group\":\"" + group + "\"}"));

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(json(answer.body()).path("error").path("code").textValue()).isEqualTo("request_too_large");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aFailedResultIsAnHttpErrorWithTheResultsCode() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));
        ingest.awaitRequest(id);
        ingest.result(failed(id, "prompt_too_long", "the prompt has 5000 tokens; the model takes 4096"));

        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(422);
        assertThat(answer.body()).isEqualTo("{\"error\":{\"code\":\"prompt_too_long\","
                + "\"message\":\"the prompt has 5000 tokens; the model takes 4096\"}}");
    }

    @Test
    void aCancelledRequestIsAnswered499() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));
        ingest.awaitRequest(id);
        ingest.result(failed(id, "cancelled", "cancelled: operator"));

        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(499);
        assertThat(answer.body()).isEqualTo("{\"error\":{\"code\":\"cancelled\",\"message\":\"cancelled: operator\"}}");
    }

    @Test
    void aStreamThatFailsEndsWithAnErrorEvent() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/generate_stream", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}"));
        ingest.awaitRequest(id);
        ingest.token(id, 0, 0, "A");
        ingest.lastToken(id, 0, 1, "", FinishReason.ERROR);
        ingest.result(failed(id, "inference_failed", "CUDA out of memory"));

        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("data: {\"text\":\"A\",\"batch_id\":0}\n\n"
                + "event: error\ndata: {\"error\":{\"code\":\"inference_failed\",\"message\":\"CUDA out of memory\"}}\n\n");
    }

    @Test
    void aStreamingClientThatDisconnectsGetsItsRequestCancelled() throws Exception {
        String id = newRequestId();
        byte[] body = ("{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", ingest.uri("/").getPort())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /generate_stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Request-Id: " + id + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            ingest.awaitRequest(id);
            ingest.token(id, 0, 0, "Hel");
            assertThat(readUntil(socket.getInputStream(), "{\"text\":\"Hel\",\"batch_id\":0}"))
                    .startsWith("HTTP/1.1 200 OK");
        }

        assertThat(IngestFixture.awaitRecord(Topics.CANCELLATIONS, id))
                .isEqualTo(json("{\"request_id\":\"" + id + "\",\"reason\":\"client_disconnected\"}"));
    }

    @Test
    void aClientThatStopsWaitingForABlockingAnswerGetsItsRequestCancelledToo() throws Exception {
        String id = newRequestId();
        byte[] body = ("{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", ingest.uri("/").getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Request-Id: " + id + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            ingest.awaitRequest(id);
        }

        assertThat(IngestFixture.awaitRecord(Topics.CANCELLATIONS, id))
                .isEqualTo(json("{\"request_id\":\"" + id + "\",\"reason\":\"client_disconnected\"}"));
    }

    private static String readUntil(InputStream in, String expected) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!seen.toString(StandardCharsets.UTF_8).contains(expected) && Instant.now().isBefore(deadline)) {
            int read = in.read(buffer);
            if (read < 0) {
                break;
            }
            seen.write(buffer, 0, read);
        }
        String text = seen.toString(StandardCharsets.UTF_8);
        assertThat(text).contains(expected);
        return text;
    }
}
