package io.kaption.ingest.http;

import io.kaption.ingest.support.IngestFixture;
import io.kaption.ingest.support.Multipart;
import io.kaption.ingest.support.TestImages;
import io.kaption.localstack.junit.SharedInfrastructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;

import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/** Invalid requests get the exact JSON error and publish nothing. */
@ExtendWith(SharedInfrastructure.class)
class HttpErrorsIT {

    private static final int MAX_BODY = 65_536;

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("errors", Map.of("KAPTION_MAX_BODY_BYTES", String.valueOf(MAX_BODY),
                "KAPTION_MAX_IMAGES_PER_REQUEST", "1"));
        group = ingest.group();
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    private HttpResponse<String> post(String path, String id, String json) {
        return ingest.send(ingest.jsonRequest(path, id, json));
    }

    @Test
    void malformedJsonIs400() {
        String id = newRequestId();
        HttpResponse<String> response = post("/generate", id, "{\"text\": ");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response.body()).path("error").path("code").textValue()).isEqualTo("invalid_json");
        assertThat(json(response.body()).path("error").path("message").textValue())
                .startsWith("the request body is not valid JSON: ");
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue(id);
        ingest.assertNothingPublished(id);
    }

    @Test
    void aFormPartWithoutANameIs400WithoutTheDecodersInternals() {
        String id = newRequestId();
        String boundary = "kaption-test-boundary";
        HttpResponse<String> response = ingest.send(HttpRequest.newBuilder(ingest.uri("/image_generate"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("X-Request-Id", id)
                .POST(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data"
                        + "\r\n\r\nhello\r\n--" + boundary + "--\r\n")));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_body\",\"message\":"
                + "\"the request body could not be read: malformed multipart/form-data or form body\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void contractViolationsAre422NamingEveryViolatedRule() {
        String id = newRequestId();
        HttpResponse<String> response = post("/generate", id, "{\"text\":\"Describe it.\",\"consumer_group\":\""
                + group + "\",\"sampling_topp\":2,\"max_new_tokens\":0}");

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"$.max_new_tokens: must have a minimum value of 1; $.sampling_topp: must have a maximum value of 1\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void anUnknownFieldIsRejectedLikeTheContractRejectsIt() {
        String id = newRequestId();
        HttpResponse<String> response = post("/generate", id, "{\"text\":\"Describe it.\",\"consumer_group\":\""
                + group + "\",\"max_tokens\":5}");

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"$: property 'max_tokens' is not defined in the schema and the schema does not allow additional "
                + "properties\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aNumberBeyondTheRangeOfADoubleIs400AndNothingIsPublished() {
        String id = newRequestId();
        HttpResponse<String> response = post("/v1/requests", id, "{\"text\":\"Describe it.\",\"consumer_group\":\""
                + group + "\",\"sampling_temperature\":1e400}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_json\",\"message\":"
                + "\"the request body holds a number beyond the range of a double at $.sampling_temperature\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void fieldsTheServiceSetsCannotComeFromTheClient() {
        String id = newRequestId();
        HttpResponse<String> response = post("/generate", id, "{\"text\":\"Describe it.\",\"consumer_group\":\""
                + group + "\",\"request_id\":\"mine\"}");

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_request\",\"message\":"
                + "\"$.request_id: cannot be set here (send an X-Request-Id header instead)\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void anUnknownConsumerGroupIs404() {
        String id = newRequestId();
        HttpResponse<String> response = post("/generate", id, "{\"text\":\"Describe it.\",\"consumer_group\":\"nobody\"}");

        String expected = "{\"error\":{\"code\":\"unknown_consumer_group\",\"message\":"
                + "\"consumer group 'nobody' does not exist (no topic kaption.requests.nobody; its workers create it "
                + "when they start)\"}}";
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo(expected);

        // Asked again within the cached answer's life: the same answer, without a look-up.
        String again = newRequestId();
        response = post("/generate", again, "{\"text\":\"Describe it.\",\"consumer_group\":\"nobody\"}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo(expected);
    }

    @Test
    void imageGenerateWithoutAnImageIs400() {
        String id = newRequestId();
        HttpResponse<String> response = post("/image_generate", id, "{\"text\":\"Describe it.\",\"consumer_group\":\""
                + group + "\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"image_required\",\"message\":\"this endpoint "
                + "needs an image: an image_data file part, an image_url, or an <image:URL> tag in text\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void moreImagesThanKaptionMaxImagesPerRequestAre400() {
        String id = newRequestId();
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(TestImages.smallPng(4, 4));
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"Compare.\",\"consumer_group\":\"" + group + "\",\"image_url\":\""
                        + dataUrl + "\"}")
                .file("image_data", "a.png", TestImages.smallPng(5, 5));
        HttpResponse<String> response = ingest.send(ingest.multipartRequest("/image_generate", id, form));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"too_many_images\",\"message\":\"a request takes "
                + "at most 1 images; got 2 (from image_data, image_url, image_urls and <image:URL> tags together)\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aFormWithoutJsonDataIs400() {
        String id = newRequestId();
        Multipart form = new Multipart().file("image_data", "a.png", TestImages.smallPng(5, 5));
        HttpResponse<String> response = ingest.send(ingest.multipartRequest("/image_generate", id, form));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"missing_json_data\",\"message\":"
                + "\"the form needs a json_data part holding the request as JSON\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aBodyOverTheLimitIs413() {
        String id = newRequestId();
        String prompt = "x".repeat(MAX_BODY);
        HttpResponse<String> response = post("/generate", id, "{\"text\":\"" + prompt + "\",\"consumer_group\":\""
                + group + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"body_too_large\","
                + "\"message\":\"the request body is larger than " + MAX_BODY + " bytes\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aDeclaredBodyOverTheLimitThatWaitsFor100ContinueIsAnswered413WithoutIt() throws Exception {
        String id = newRequestId();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", ingest.uri("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nX-Request-Id: " + id + "\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + (MAX_BODY + 1) + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

            assertThat(answer).startsWith("HTTP/1.1 413 Request Entity Too Large\r\n")
                    .endsWith("\r\n\r\n{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body is larger than "
                            + MAX_BODY + " bytes\"}}");
        }
    }

    @Test
    void aChunkedBodyOverTheLimitIs413Too() {
        String id = newRequestId();
        byte[] body = ("{\"text\":\"" + "y".repeat(MAX_BODY) + "\"}").getBytes();
        // An input stream publisher has no known length: the body goes out chunked, without Content-Length.
        HttpResponse<String> response = ingest.send(HttpRequest.newBuilder(ingest.uri("/generate"))
                .header("Content-Type", "application/json")
                .header("X-Request-Id", id)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response.body()).path("error").path("code").textValue()).isEqualTo("body_too_large");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aChunkedFormOverTheLimitIs413() {
        String id = newRequestId();
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("image_data", "big.png", TestImages.noisyPng(200, 200));
        byte[] body = form.bytes();
        assertThat(body.length).isGreaterThan(MAX_BODY);
        HttpResponse<String> response = ingest.send(HttpRequest.newBuilder(ingest.uri("/image_generate"))
                .header("Content-Type", form.contentType())
                .header("X-Request-Id", id)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"body_too_large\","
                + "\"message\":\"the request body is larger than " + MAX_BODY + " bytes\"}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aChunkedFormWhosePartsTogetherPassTheLimitIs413() {
        String id = newRequestId();
        byte[] part = new byte[MAX_BODY / 2 + 1];
        Multipart form = new Multipart()
                .field("json_data", "{\"text\":\"What is this?\",\"consumer_group\":\"" + group + "\"}")
                .file("first", "a.bin", part)
                .file("second", "b.bin", part);
        byte[] body = form.bytes();
        HttpResponse<String> response = ingest.send(HttpRequest.newBuilder(ingest.uri("/generate"))
                .header("Content-Type", form.contentType())
                .header("X-Request-Id", id)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response.body()).path("error").path("code").textValue()).isEqualTo("body_too_large");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aMalformedRequestIdHeaderIs400AndTheAnswerCarriesAFreshId() {
        HttpResponse<String> response = post("/generate", "not valid!", "{\"text\":\"Describe it.\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"invalid_request_id\",\"message\":"
                + "\"X-Request-Id must be 1 to 128 characters of [A-Za-z0-9._:-]\"}}");
        assertThat(response.headers().firstValue("X-Request-Id")).get().asString()
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    @Test
    void requestsTheHttpParserRefusesGetJsonErrorsToo() throws Exception {
        String badLength = rawExchange("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: abc\r\n\r\n");
        assertThat(badLength).startsWith("HTTP/1.1 400 Bad Request\r\n");
        assertThat(json(badLength.substring(badLength.indexOf("\r\n\r\n") + 4)).path("error").path("code").textValue())
                .isEqualTo("invalid_http");

        String hugeHeader = rawExchange("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "p".repeat(9000)
                + "\r\n\r\n");
        assertThat(hugeHeader).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")
                .endsWith("\r\n\r\n{\"error\":{\"code\":\"headers_too_large\",\"message\":\"the request headers are "
                        + "larger than 8192 bytes\"}}");

        String longLine = rawExchange("GET /healthz?" + "q".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        // The version is past the part of the line that was read: the decoder answers as HTTP/1.0.
        assertThat(longLine).startsWith("HTTP/1.0 414 Request-URI Too Long\r\n")
                .endsWith("\r\n\r\n{\"error\":{\"code\":\"uri_too_long\",\"message\":\"the request line is longer "
                        + "than 4096 bytes\"}}");
    }

    // Writes the bytes of one request and reads the answer until the server closes the connection.
    private static String rawExchange(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", ingest.uri("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void unknownPathsAre404AndWrongMethods405() {
        HttpResponse<String> missing = ingest.get("/nothing-here");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint /nothing-here\"}}");

        HttpResponse<String> wrongMethod = ingest.get("/generate");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        assertThat(wrongMethod.body()).isEqualTo("{\"error\":{\"code\":\"method_not_allowed\","
                + "\"message\":\"/generate takes POST\"}}");
    }
}
