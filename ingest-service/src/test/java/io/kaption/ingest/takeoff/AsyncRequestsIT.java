package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
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
import java.util.Map;

import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /v1/requests}: published, answered 202 at once with where the result sink serves the request. */
@ExtendWith(SharedInfrastructure.class)
class AsyncRequestsIT {

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("async", Map.of("KAPTION_SINK_PUBLIC_URL", "https://sink.example.com/"));
        group = ingest.group();
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void aSubmittedRequestIsPublishedStreamingAndAnswered202WithTheSinksUrls() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\",\"job_id\":\"job-1\"}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("Location")).hasValue("https://sink.example.com/v1/requests/" + id);
        assertThat(response.body()).isEqualTo("{\"request_id\":\"" + id + "\","
                + "\"events_url\":\"https://sink.example.com/v1/requests/" + id + "/events\","
                + "\"result_url\":\"https://sink.example.com/v1/requests/" + id + "\"}");
        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("stream").booleanValue()).isTrue();
        assertThat(record.get("job_id").textValue()).isEqualTo("job-1");
    }

    @Test
    void aSubmittedRequestMayTurnTokenEventsOff() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\",\"stream\":false}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(ingest.awaitRequest(id).get("stream").booleanValue()).isFalse();
    }

    @Test
    void aClientThatExpects100ContinueIsToldToSendItsBody() throws Exception {
        // curl sends "Expect: 100-continue" with larger uploads, and Java's HttpClient with expectContinue(true): both
        // wait for the 100 before sending the body.
        String id = newRequestId();
        byte[] body = ("{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", ingest.uri("/").getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Request-Id: " + id + "\r\nExpect: 100-continue\r\nConnection: close\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");

            out.write(body);
            out.flush();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 202 Accepted\r\n")
                    .endsWith("\r\n\r\n{\"request_id\":\"" + id + "\",\"events_url\":\"https://sink.example.com/v1/requests/"
                            + id + "/events\",\"result_url\":\"https://sink.example.com/v1/requests/" + id + "\"}");
        }
        assertThat(ingest.awaitRequest(id).get("text").textValue()).isEqualTo("Describe it.");
    }

    // The bytes up to and including the first empty line.
    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int next = in.read();
            if (next < 0) {
                break;
            }
            head.write(next);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void outputUriIsNotForHttpClients() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\","
                        + "\"output_uri\":\"s3://someone-elses-bucket/x.json\"}"));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(json(response.body())).isEqualTo(json("{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"$.output_uri: cannot be set here\"}}"));
        ingest.assertNothingPublished(id);
    }
}
