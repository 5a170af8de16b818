package io.kaption.schemas.serde;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.GenerationResult.Usage;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.WorkerAnnouncement;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContractCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMAGE = "s3://kaption-inputs/cats/1.jpg";

    static GenerationRequest fullRequest() {
        ObjectNode outputSchema = JSON.createObjectNode().put("type", "object");
        return GenerationRequest.builder("req-1", Texts.ofList(List.of("What is this?", "Which colour?")), IMAGE)
                .stream(true)
                .consumerGroup("batch")
                .samplingTemperature(0.7)
                .samplingTopp(0.9)
                .samplingTopk(40)
                .repetitionPenalty(1.1)
                .noRepeatNgramSize(3)
                .maxNewTokens(64)
                .minNewTokens(2)
                .promptMaxTokens(1024)
                .jsonSchema(outputSchema)
                .useChatTemplate(false)
                .loraId("captions-v2")
                .outputUri("s3://kaption-outputs/job-7/req-1.json")
                .jobId("job-7")
                .recordId("rec-42")
                .createdAt(Instant.parse("2026-11-23T09:00:00.123Z"))
                .build();
    }

    static <T> T decodeJson(ContractCodec<T> codec, String json) {
        return codec.decode(json.getBytes(UTF_8));
    }

    static InvalidRecordException rejection(ContractCodec<?> codec, String json) {
        return (InvalidRecordException) assertThatThrownBy(() -> decodeJson(codec, json))
                .isInstanceOf(InvalidRecordException.class)
                .actual();
    }

    @Nested
    class RoundTrips {

        @Test
        void requestWithEveryField() {
            GenerationRequest request = fullRequest();
            byte[] bytes = ContractCodec.REQUESTS.encode(request);
            assertThat(ContractCodec.REQUESTS.decode(bytes)).isEqualTo(request);
        }

        @Test
        void requestWritesSnakeCaseFieldsAndTheTextInItsShape() throws Exception {
            JsonNode json = JSON.readTree(ContractCodec.REQUESTS.encode(fullRequest()));
            assertThat(json.get("request_id").asText()).isEqualTo("req-1");
            assertThat(json.get("text").isArray()).isTrue();
            assertThat(json.get("sampling_topk").asInt()).isEqualTo(40);
            assertThat(json.get("created_at").asText()).isEqualTo("2026-11-23T09:00:00.123Z");
            assertThat(json.has("regex_string")).as("absent optional fields are left out").isFalse();

            JsonNode single = JSON.readTree(ContractCodec.REQUESTS.encode(
                    GenerationRequest.builder("req-2", Texts.of("Describe it."), IMAGE).build()));
            assertThat(single.get("text").isTextual()).isTrue();
            assertThat(single.get("text").asText()).isEqualTo("Describe it.");
        }

        @Test
        void minimalRequestGetsTheSchemaDefaultsWhichTheBuilderShares() {
            GenerationRequest decoded = decodeJson(ContractCodec.REQUESTS,
                    "{\"request_id\":\"req-1\",\"text\":\"Describe it.\",\"image_url\":\"" + IMAGE + "\"}");
            assertThat(decoded).isEqualTo(GenerationRequest.builder("req-1", Texts.of("Describe it."), IMAGE).build());
            assertThat(decoded.consumerGroup()).isEqualTo("primary");
            assertThat(decoded.maxNewTokens()).isEqualTo(128);
            assertThat(decoded.samplingTemperature()).isEqualTo(1.0);
            assertThat(decoded.isGreedy()).isTrue();
            assertThat(decoded.topic()).isEqualTo("kaption.requests.primary");
        }

        @Test
        void textOnlyRequestHasNoImage() {
            GenerationRequest decoded = decodeJson(ContractCodec.REQUESTS,
                    "{\"request_id\":\"req-2\",\"text\":[\"Say hi.\",\"Say bye.\"]}");
            assertThat(decoded.imageUrl()).isNull();
            assertThat(decoded.text()).isEqualTo(Texts.ofList(List.of("Say hi.", "Say bye.")));
        }

        @Test
        void everySchemaDefaultIsTheBuilderDefault() throws Exception {
            JsonNode schema;
            try (InputStream in = getClass().getClassLoader()
                    .getResourceAsStream(ContractCodec.REQUESTS.schemaResource())) {
                schema = JSON.readTree(in);
            }
            JsonNode built = JSON.readTree(ContractCodec.REQUESTS.encode(
                    GenerationRequest.builder("req-1", Texts.of("Describe it."), IMAGE).build()));
            var defaulted = new java.util.ArrayList<String>();
            schema.get("properties").fields().forEachRemaining(property -> {
                JsonNode defaultValue = property.getValue().get("default");
                if (defaultValue != null) {
                    defaulted.add(property.getKey());
                    assertThat(built.get(property.getKey()).asText())
                            .as(property.getKey()).isEqualTo(defaultValue.asText());
                }
            });
            assertThat(defaulted).contains("sampling_temperature", "sampling_topp", "sampling_topk",
                    "repetition_penalty", "max_new_tokens", "consumer_group", "stream", "use_chat_template");
        }

        @Test
        void tokenEvents() {
            for (TokenEvent event : List.of(
                    TokenEvent.chunk("req-1", 1, 0, " a cat"),
                    TokenEvent.last("req-1", 1, 7, "", FinishReason.LENGTH),
                    TokenEvent.chunk("req-1", 0, 2, " sat").withAttempt("w3f9a1c2b-17"))) {
                assertThat(ContractCodec.TOKENS.decode(ContractCodec.TOKENS.encode(event))).isEqualTo(event);
            }
            assertThat(new String(ContractCodec.TOKENS.encode(TokenEvent.last("r", 0, 3, ".", FinishReason.STOP)), UTF_8))
                    .isEqualTo("{\"request_id\":\"r\",\"batch_id\":0,\"index\":3,\"text\":\".\",\"final\":true,"
                            + "\"finish_reason\":\"stop\"}");
            assertThat(new String(ContractCodec.TOKENS.encode(TokenEvent.chunk("r", 0, 0, "A").withAttempt("w1-1")),
                    UTF_8)).isEqualTo("{\"request_id\":\"r\",\"batch_id\":0,\"index\":0,\"text\":\"A\",\"final\":false,"
                            + "\"attempt\":\"w1-1\"}");
        }

        @Test
        void results() {
            GenerationRequest request = fullRequest();
            List<GenerationResult> results = List.of(
                    GenerationResult.completed(request, request.text().withValues(List.of("A cat.", "Grey.")),
                            FinishReason.STOP, Usage.of(600, 5), 12L, 840L),
                    new GenerationResult("req-2", Texts.of("A dog."), FinishReason.LENGTH, Usage.of(10, 128),
                            null, null, null, null, null, null, null, null),
                    GenerationResult.failed(request, new Failure("image_unavailable", "s3 said 404"), 3L, null));
            for (GenerationResult result : results) {
                assertThat(ContractCodec.RESULTS.decode(ContractCodec.RESULTS.encode(result))).isEqualTo(result);
            }
        }

        @Test
        void resultsCarryTheRequestsOutputUriAndStream() throws Exception {
            GenerationRequest request = fullRequest();
            GenerationResult completed = GenerationResult.completed(request, Texts.ofList(List.of("a", "b")),
                    FinishReason.STOP, null, null, null);
            GenerationResult failed = GenerationResult.failed(request, new Failure("inference_failed", "oom"), null,
                    null);
            assertThat(completed.outputUri()).isEqualTo("s3://kaption-outputs/job-7/req-1.json");
            assertThat(failed.outputUri()).isEqualTo("s3://kaption-outputs/job-7/req-1.json");
            assertThat(new String(ContractCodec.RESULTS.encode(failed), UTF_8)).isEqualTo(
                    "{\"request_id\":\"req-1\",\"finish_reason\":\"error\",\"error\":{\"code\":\"inference_failed\","
                            + "\"message\":\"oom\"},\"job_id\":\"job-7\",\"record_id\":\"rec-42\","
                            + "\"output_uri\":\"s3://kaption-outputs/job-7/req-1.json\",\"image_url\":\"s3://kaption-inputs/cats/1.jpg\","
                            + "\"stream\":true}");
            GenerationRequest withoutUri = GenerationRequest.builder("r", Texts.of("hi"), null).build();
            assertThat(new String(ContractCodec.RESULTS.encode(GenerationResult.completed(withoutUri, Texts.of("x"),
                    FinishReason.STOP, null, null, null)), UTF_8))
                    .isEqualTo("{\"request_id\":\"r\",\"text\":\"x\",\"finish_reason\":\"stop\",\"stream\":false}");
        }

        @Test
        void nonFiniteNumbersAreRefusedOnEncode() {
            GenerationRequest request = GenerationRequest.builder("r", Texts.of("hi"), null)
                    .samplingTemperature(Double.POSITIVE_INFINITY).build();
            assertThatThrownBy(() -> ContractCodec.REQUESTS.encode(request))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("$.sampling_temperature: must be a finite number");
        }

        @Test
        void cancellations() {
            Cancellation cancellation = new Cancellation("req-1", "client_disconnected");
            assertThat(new String(ContractCodec.CANCELLATIONS.encode(cancellation), UTF_8))
                    .isEqualTo("{\"request_id\":\"req-1\",\"reason\":\"client_disconnected\"}");
            assertThat(ContractCodec.CANCELLATIONS.decode(ContractCodec.CANCELLATIONS.encode(cancellation)))
                    .isEqualTo(cancellation);
            assertThat(ContractCodec.CANCELLATIONS.decode("{\"request_id\":\"r\"}".getBytes(UTF_8)))
                    .isEqualTo(new Cancellation("r", null));
            assertThatThrownBy(() -> ContractCodec.CANCELLATIONS.decode("{\"reason\":\"x\"}".getBytes(UTF_8)))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("exactly one of request_id and job_id");
        }

        @Test
        void jobCancellationsNameTheJobInsteadOfARequest() {
            Cancellation job = Cancellation.ofJob("job-7", "cancelled_by_user");
            assertThat(new String(ContractCodec.CANCELLATIONS.encode(job), UTF_8))
                    .isEqualTo("{\"reason\":\"cancelled_by_user\",\"job_id\":\"job-7\"}");
            assertThat(ContractCodec.CANCELLATIONS.decode(ContractCodec.CANCELLATIONS.encode(job))).isEqualTo(job);
            assertThat(job.key()).isEqualTo("job-7");
            assertThatThrownBy(() -> ContractCodec.CANCELLATIONS.decode(
                    "{\"request_id\":\"r\",\"job_id\":\"j\"}".getBytes(UTF_8)))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("exactly one of request_id and job_id");
            assertThatThrownBy(() -> new Cancellation("r", null, "j")).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void resultsOfJobRequestsNameTheirImage() {
            GenerationRequest jobRequest = GenerationRequest.builder("job-7-r0", Texts.of("hi"), "s3://kaption-in/cats/1.jpg")
                    .jobId("job-7").recordId("cats/1.jpg").build();
            GenerationResult result = GenerationResult.failed(jobRequest, new Failure("image_unavailable", "404"),
                    null, null);
            assertThat(new String(ContractCodec.RESULTS.encode(result), UTF_8)).isEqualTo(
                    "{\"request_id\":\"job-7-r0\",\"finish_reason\":\"error\",\"error\":{\"code\":"
                            + "\"image_unavailable\",\"message\":\"404\"},\"job_id\":\"job-7\",\"record_id\":"
                            + "\"cats/1.jpg\",\"image_url\":\"s3://kaption-in/cats/1.jpg\",\"stream\":false}");
            GenerationRequest interactive = GenerationRequest.builder("r", Texts.of("hi"), "s3://kaption-in/cats/1.jpg").build();
            assertThat(GenerationResult.completed(interactive, Texts.of("x"), FinishReason.STOP, null, null, null)
                    .imageUrl()).as("not copied outside jobs").isNull();
        }

        @Test
        void tokensAndResultsIgnoreFieldsAddedByALaterMinorVersion() {
            TokenEvent event = decodeJson(ContractCodec.TOKENS,
                    "{\"request_id\":\"r\",\"batch_id\":0,\"index\":0,\"text\":\"a\",\"logprob\":-0.1}");
            assertThat(event).isEqualTo(TokenEvent.chunk("r", 0, 0, "a"));
            GenerationResult result = decodeJson(ContractCodec.RESULTS,
                    "{\"request_id\":\"r\",\"text\":\"a\",\"finish_reason\":\"stop\",\"cached_tokens\":3}");
            assertThat(result.text()).isEqualTo(Texts.of("a"));
        }
    }

    @Nested
    class Rejections {

        private static final String VALID = "{\"request_id\":\"req-1\",\"text\":\"Describe it.\",\"image_url\":\""
                + IMAGE + "\"";

        @Test
        void missingRequestId() {
            assertThat(rejection(ContractCodec.REQUESTS, "{\"text\":\"Hi\",\"image_url\":\"" + IMAGE + "\"}"))
                    .hasMessage("invalid kaption.requests/v1 value: $: required property 'request_id' not found");
        }

        @Test
        void wrongTypes() {
            InvalidRecordException e = rejection(ContractCodec.REQUESTS,
                    VALID + ",\"max_new_tokens\":\"128\",\"stream\":\"yes\"}");
            assertThat(e.violations()).containsExactly(
                    "$.max_new_tokens: string found, integer expected",
                    "$.stream: string found, boolean expected");
        }

        @Test
        void textOfTheWrongShape() {
            assertThat(rejection(ContractCodec.REQUESTS, VALID.replace("\"Describe it.\"", "[1, 2]") + "}").violations())
                    .contains("$.text[0]: integer found, string expected");
            assertThat(rejection(ContractCodec.REQUESTS, VALID.replace("\"Describe it.\"", "[]") + "}").getMessage())
                    .contains("$.text");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "\"sampling_topp\":1.5        | $.sampling_topp: must have a maximum value of 1",
            "\"sampling_topp\":0          | $.sampling_topp: must have an exclusive minimum value of 0",
            "\"sampling_temperature\":-1  | $.sampling_temperature: must have an exclusive minimum value of 0",
            "\"sampling_topk\":0          | $.sampling_topk: must have a minimum value of 1",
            "\"repetition_penalty\":0     | $.repetition_penalty: must have an exclusive minimum value of 0",
            "\"max_new_tokens\":0         | $.max_new_tokens: must have a minimum value of 1",
            "\"no_repeat_ngram_size\":-2  | $.no_repeat_ngram_size: must have a minimum value of 0",
        })
        void samplingOutOfRange(String field, String violation) {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + "," + field + "}").violations())
                    .containsExactly(violation);
        }

        @ParameterizedTest
        @ValueSource(strings = {"http://example.com/cat.jpg", "ftp://example.com/cat.jpg", "file:///etc/passwd",
            "/tmp/cat.jpg", "s3://", "data:text/plain;base64,aGk=", "data:image/png;base64,not base64!",
            "data:image/png;base64,URL-safe_base64", "data:image/png;base64,abc=d", "data:image/png;base64,"})
        void imageUrlWithAnUnsupportedScheme(String imageUrl) {
            assertThat(rejection(ContractCodec.REQUESTS, VALID.replace(IMAGE, imageUrl) + "}").violations())
                    .containsExactly("$.image_url: must be s3://bucket/key, https://... or "
                            + "data:image/<type>;base64,<data>");
        }

        @Test
        void acceptsEverySupportedImageUrlScheme() {
            for (String imageUrl : List.of(IMAGE, "https://127.0.0.1:8443/cat.jpg?sig=abc",
                    "data:image/png;base64,iVBORw0KGgo=",
                    "data:image/webp;base64,ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/==")) {
                assertThat(decodeJson(ContractCodec.REQUESTS, VALID.replace(IMAGE, imageUrl) + "}").imageUrl())
                        .isEqualTo(imageUrl);
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"has space", "a/b", ""})
        void badConsumerGroup(String group) {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + ",\"consumer_group\":\"" + group + "\"}").violations())
                    .containsExactly("$.consumer_group: must be 1 to 228 characters of [a-zA-Z0-9._-]");
        }

        @Test
        void unknownFieldsInARequestAreTyposNotExtensions() {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + ",\"max_tokens\":64}").violations())
                    .containsExactly("$: property 'max_tokens' is not defined in the schema and the schema does not "
                            + "allow additional properties");
        }

        @Test
        void aFieldGivenTwice() {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + ",\"max_new_tokens\":1,\"max_new_tokens\":2}")
                    .getMessage()).contains("$: not valid JSON: Duplicate field 'max_new_tokens'");
        }

        @Test
        void createdAtThatIsNotADateTime() {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + ",\"created_at\":\"yesterday\"}").violations())
                    .singleElement().asString().startsWith("$.created_at: does not match the date-time pattern");
        }

        @Test
        void tokenEventsMarkTheirEndConsistently() {
            assertThat(rejection(ContractCodec.TOKENS,
                    "{\"request_id\":\"r\",\"batch_id\":0,\"index\":5,\"text\":\"\",\"final\":true}").violations())
                    .containsExactly("$: required property 'finish_reason' not found");
            assertThat(rejection(ContractCodec.TOKENS,
                    "{\"request_id\":\"r\",\"batch_id\":0,\"index\":5,\"text\":\"a\",\"finish_reason\":\"stop\"}")
                    .violations()).singleElement().asString().startsWith("$.finish_reason");
            assertThat(rejection(ContractCodec.TOKENS,
                    "{\"request_id\":\"r\",\"batch_id\":-1,\"index\":0,\"text\":\"a\"}").violations())
                    .containsExactly("$.batch_id: must have a minimum value of 0");
        }

        @Test
        void resultsCarryTextOrAnErrorNeverBoth() {
            assertThat(rejection(ContractCodec.RESULTS,
                    "{\"request_id\":\"r\",\"finish_reason\":\"error\"}").violations())
                    .containsExactly("$: required property 'error' not found");
            assertThat(rejection(ContractCodec.RESULTS,
                    "{\"request_id\":\"r\",\"finish_reason\":\"stop\"}").violations())
                    .containsExactly("$: required property 'text' not found");
            assertThat(rejection(ContractCodec.RESULTS, "{\"request_id\":\"r\",\"finish_reason\":\"stop\","
                    + "\"text\":\"a\",\"error\":{\"code\":\"x\",\"message\":\"y\"}}").violations())
                    .singleElement().asString().startsWith("$.error");
            assertThat(rejection(ContractCodec.RESULTS,
                    "{\"request_id\":\"r\",\"finish_reason\":\"done\",\"text\":\"a\"}").violations())
                    .containsExactly("$.finish_reason: does not have a value in the enumeration [\"stop\", \"length\", "
                            + "\"error\"]");
        }

        @Test
        void aResultsOutputUriMustBeAnS3Uri() {
            assertThat(rejection(ContractCodec.RESULTS, "{\"request_id\":\"r\",\"finish_reason\":\"stop\","
                    + "\"text\":\"a\",\"output_uri\":\"https://example.com/out.json\"}").violations())
                    .containsExactly("$.output_uri: must be s3://bucket/key");
        }

        @Test
        void anIntegerTheJavaTypeCannotHoldIsReportedWithItsField() {
            assertThat(rejection(ContractCodec.REQUESTS, VALID + ",\"max_new_tokens\":99999999999}").violations())
                    .singleElement().asString().startsWith("$.max_new_tokens: ");
        }

        @Test
        void aLargeInlineImageIsCheckedWithoutQuotingItsBytes() {
            String base64 = "QUJD".repeat(200_000); // 800 KB, near Kafka's default record limit
            GenerationRequest request = decodeJson(ContractCodec.REQUESTS,
                    VALID.replace(IMAGE, "data:image/png;base64," + base64) + "}");
            assertThat(request.imageUrl()).hasSize(22 + base64.length());

            assertThat(rejection(ContractCodec.REQUESTS, "{\"request_id\": " + base64 + "}").getMessage())
                    .contains("$: not valid JSON: Unrecognized token 'QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD...'")
                    .hasSizeLessThan(300);
        }

        @Test
        void garbageBytes() {
            byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0x13, 0x37, 0x42};
            assertThatThrownBy(() -> ContractCodec.REQUESTS.decode(garbage))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageStartingWith("invalid kaption.requests/v1 value: $: not valid JSON: ");
            assertThat(rejection(ContractCodec.REQUESTS, "{\"request_id\": ").getMessage())
                    .contains("$: not valid JSON: Unexpected end-of-input");
            assertThat(rejection(ContractCodec.REQUESTS, VALID + "} trailing").getMessage())
                    .contains("$: not valid JSON: ");
        }

        @Test
        void emptyNullAndNonObjectValues() {
            assertThat(rejection(ContractCodec.REQUESTS, "").violations())
                    .containsExactly("$: the value is empty; a kaption.requests/v1 value is a JSON object");
            assertThat(rejection(ContractCodec.REQUESTS, "  \n").violations())
                    .containsExactly("$: the value is empty; a kaption.requests/v1 value is a JSON object");
            assertThatThrownBy(() -> ContractCodec.REQUESTS.decode((byte[]) null))
                    .hasMessageContaining("$: the value is null (a tombstone)");
            assertThat(rejection(ContractCodec.REQUESTS, "[\"a\"]").violations())
                    .containsExactly("$: array found, object expected");
        }

        @Test
        void producersCannotWriteAnInvalidValue() {
            GenerationRequest invalid = GenerationRequest.builder("req-1", Texts.of("Hi"), "ftp://x/y").samplingTopp(2.0).build();
            assertThatThrownBy(() -> ContractCodec.REQUESTS.encode(invalid))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("$.sampling_topp: must have a maximum value of 1")
                    .hasMessageContaining("$.image_url: must be s3://bucket/key");
        }
    }

    @Nested
    class ConfluentFraming {

        @Test
        void framedJsonDecodesLikePlainJson() {
            GenerationRequest request = fullRequest();
            byte[] framed = ConfluentFrame.frame(7, ContractCodec.REQUESTS.encode(request));
            assertThat(framed[0]).isZero();
            assertThat(ConfluentFrame.schemaId(framed)).isEqualTo(7);
            assertThat(ContractCodec.REQUESTS.decode(framed)).isEqualTo(request);
        }

        @Test
        void framedValuesAreValidatedToo() {
            byte[] framed = ConfluentFrame.frame(123456, "{\"request_id\":\"r\"}".getBytes(UTF_8));
            assertThatThrownBy(() -> ContractCodec.REQUESTS.decode(framed))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("$: required property 'text' not found");
        }

        @Test
        void aFrameWithoutJsonIsRejected() {
            assertThatThrownBy(() -> ContractCodec.REQUESTS.decode(new byte[] {0, 0, 0, 0, 1}))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("starts with byte 0 (a Confluent Schema Registry frame) but has no JSON");
            assertThatThrownBy(() -> ContractCodec.REQUESTS.decode(new byte[] {0, 0, 0, 0, 1, 'x'}))
                    .hasMessageContaining("$: not valid JSON");
        }
    }

    @Test
    void tryDecodeReturnsTheReasonInsteadOfThrowing() {
        DecodeResult<GenerationRequest> bad = ContractCodec.REQUESTS.tryDecode("{}".getBytes(UTF_8));
        assertThat(bad).isInstanceOf(DecodeResult.Invalid.class);
        assertThat(((DecodeResult.Invalid<GenerationRequest>) bad).reason())
                .contains("required property 'request_id' not found");

        DecodeResult<GenerationRequest> good = ContractCodec.REQUESTS.tryDecode(ContractCodec.REQUESTS.encode(fullRequest()));
        assertThat(good).isEqualTo(new DecodeResult.Valid<>(fullRequest()));
    }

    @Test
    void workerAnnouncementsCarryTheirLoraAdaptersAndOlderOnesDecodeWithout() {
        Instant at = Instant.parse("2026-12-06T10:00:00Z");
        WorkerAnnouncement withAdapters = new WorkerAnnouncement("w-1", List.of("primary"), "llava-1.5-7b-hf", null,
                "float16", 8, "gpu-1", at, at, 15_000, List.of("receipts", "menus"));
        byte[] encoded = ContractCodec.WORKERS.encode(withAdapters);
        assertThat(new String(encoded, UTF_8)).contains("\"lora_adapters\":[\"receipts\",\"menus\"]");
        assertThat(ContractCodec.WORKERS.decode(encoded)).isEqualTo(withAdapters);

        WorkerAnnouncement without = new WorkerAnnouncement("w-2", List.of("primary"), "m", null, "float32", 4, null,
                at, at, 15_000);
        byte[] old = ContractCodec.WORKERS.encode(without);
        assertThat(new String(old, UTF_8)).doesNotContain("lora_adapters");
        assertThat(ContractCodec.WORKERS.decode(old).loraAdapters()).isNull();
        assertThatThrownBy(() -> ContractCodec.WORKERS.decode(new String(old, UTF_8)
                .replace("\"model\":\"m\"", "\"model\":\"m\",\"lora_adapters\":[\"a\",\"a\"]").getBytes(UTF_8)))
                .hasMessageContaining("lora_adapters");
    }
}
