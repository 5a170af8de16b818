package io.kaption.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.constraints.OutputConstraint;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.prompt.Conversation;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.localstack.kafka.KafkaTopics;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.ChatMessage.Part;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.Topics;
import io.kaption.schemas.dlq.DeadLetterHeaders;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import io.kaption.schemas.topics.TopicProvisioner;
import io.kaption.worker.EventCollector.Received;
import io.kaption.worker.consume.RequestConsumer;
import java.awt.Color;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * One worker on the shared broker and S3 with the demo model, fed by real producers. Expected texts come from
 * {@link LlavaPipeline} run directly on the same checkpoint, image and prompts.
 */
@ExtendWith(SharedInfrastructure.class)
class GpuWorkerIT {

    private static final String GROUP = "it-" + UUID.randomUUID();
    private static final String TOPIC = Topics.requests(GROUP);
    private static final String BUCKET = "worker-it-" + UUID.randomUUID();
    private static final byte[] PNG = TestImages.png(Color.ORANGE, Color.BLUE);

    @TempDir
    static Path temp;

    private static LlavaPipeline reference;
    private static GpuWorker worker;
    private static EventCollector events;
    private static KafkaProducer<String, GenerationRequest> requests;
    private static KafkaProducer<String, Cancellation> cancellations;
    private static KafkaProducer<byte[], byte[]> raw;
    private static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        // The worker's S3 client uses the default credentials chain; the local S3 takes any keys.
        System.setProperty("aws.accessKeyId", "kaption");
        System.setProperty("aws.secretAccessKey", "kaption-secret");
        SharedInfrastructure.s3Client().createBucket(b -> b.bucket(BUCKET));
        SharedInfrastructure.s3Client().putObject(b -> b.bucket(BUCKET).key("cats/1.png"), RequestBody.fromBytes(PNG));

        Path model = DemoCheckpoint.write(temp.resolve("demo-model"));
        reference = LlavaPipeline.load(model, new LlavaPipeline.Options(LlavaEngine.Precision.FLOAT32, null, 4, null));
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        worker = GpuWorker.start(WorkerConfig.builder()
                .model(model)
                .consumerGroups(GROUP)
                .kafkaBootstrapServers(bootstrap)
                .s3Endpoint(SharedInfrastructure.s3Endpoint())
                .topics(new TopicProvisioner.Settings(2, (short) 1))
                .maxBatchSize(4)
                .batchDuration(Duration.ofMillis(50))
                .shutdownGrace(Duration.ofSeconds(5))
                .build());
        events = EventCollector.start(bootstrap);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");
        requests = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.REQUESTS, producerConfig));
        cancellations = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.CANCELLATIONS, producerConfig));
        raw = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        admin = KafkaTopics.admin(bootstrap);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {requests, cancellations, raw, admin, events, worker,
                reference}) {
            if (closeable != null) {
                closeable.close();
            }
        }
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    private static RecordMetadata produce(GenerationRequest request) throws Exception {
        return requests.send(new ProducerRecord<>(TOPIC, request.requestId(), request)).get();
    }

    private static List<LlavaPipeline.Result> direct(List<String> texts, byte[] image, int maxNewTokens) {
        List<LlavaPipeline.Request> prompts = new ArrayList<>();
        for (String text : texts) {
            prompts.add(new LlavaPipeline.Request(text, true, image, SamplingParams.greedy(maxNewTokens)));
        }
        return reference.generate(prompts, LlavaPipeline.Listener.NONE);
    }

    private static FinishReason contractReason(LlavaPipeline.Result result) {
        return switch (result.finishReason()) {
            case EOS -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            default -> throw new AssertionError("the direct run failed: " + result.error());
        };
    }

    /** Token events of one batch id: indexes 0.. without gaps, exactly one final event, last. */
    private static List<TokenEvent> streamOf(List<Received<TokenEvent>> received, int batchId) {
        List<TokenEvent> events = received.stream().map(Received::value).filter(e -> e.batchId() == batchId).toList();
        assertThat(events).as("token events of batch %d", batchId).isNotEmpty();
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).index()).isEqualTo(i);
            assertThat(events.get(i).isFinal()).isEqualTo(i == events.size() - 1);
        }
        return events;
    }

    private static String concatenated(List<TokenEvent> events) {
        StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(e.text()));
        return text.toString();
    }

    private static Long committed(TopicPartition partition) throws Exception {
        OffsetAndMetadata offset = admin.listConsumerGroupOffsets(RequestConsumer.groupId(GROUP))
                .partitionsToOffsetAndMetadata().get().get(partition);
        return offset == null ? null : offset.offset();
    }

    @Test
    void aStreamingTextListWithADataImageStreamsEachPromptAndAnswersInTheSameShape() throws Exception {
        String id = newId("stream");
        List<String> texts = List.of("What is in this picture?", "Describe the colours.");
        produce(GenerationRequest.builder(id, Texts.ofList(texts), TestImages.dataUrl(PNG)).stream(true)
                .maxNewTokens(12).createdAt(Instant.now()).jobId("job-1").recordId("rec-1")
                .outputUri("s3://kaption-outputs/job-1/rec-1.json").build());

        Received<GenerationResult> received = events.awaitResult(id);
        GenerationResult result = received.value();
        List<LlavaPipeline.Result> expected = direct(texts, PNG, 12);

        assertThat(result.error()).isNull();
        assertThat(result.text().isList()).isTrue();
        assertThat(result.text().values()).containsExactly(expected.get(0).text(), expected.get(1).text());
        assertThat(expected).anySatisfy(r -> assertThat(r.text()).isNotEmpty());
        assertThat(result.finishReason()).isEqualTo(expected.stream().anyMatch(
                r -> r.finishReason() == io.kaption.engine.generation.FinishReason.LENGTH)
                ? FinishReason.LENGTH : FinishReason.STOP);
        assertThat(result.usage()).isEqualTo(GenerationResult.Usage.of(
                expected.get(0).promptTokens() + expected.get(1).promptTokens(),
                expected.get(0).completionTokens() + expected.get(1).completionTokens()));
        assertThat(result.jobId()).isEqualTo("job-1");
        assertThat(result.recordId()).isEqualTo("rec-1");
        assertThat(result.outputUri()).isEqualTo("s3://kaption-outputs/job-1/rec-1.json");
        assertThat(result.queuedMs()).isNotNull().isNotNegative();
        assertThat(result.inferenceMs()).isNotNull().isNotNegative();

        List<Received<TokenEvent>> tokens = events.tokens(id);
        for (int batchId = 0; batchId < 2; batchId++) {
            List<TokenEvent> stream = streamOf(tokens, batchId);
            assertThat(concatenated(stream)).isEqualTo(result.text().get(batchId));
            assertThat(stream.get(stream.size() - 1).finishReason()).isEqualTo(contractReason(expected.get(batchId)));
            assertThat(stream.subList(0, stream.size() - 1)).allSatisfy(e -> assertThat(e.text()).isNotEmpty());
        }
        assertThat(tokens).allSatisfy(t -> assertThat(t.timestamp()).isLessThanOrEqualTo(received.timestamp()));
        assertThat(events.results(id)).hasSize(1);
    }

    @Test
    void aNonStreamingRequestWithAnS3ImageGetsOnlyItsResult() throws Exception {
        String id = newId("s3");
        produce(GenerationRequest.builder(id, Texts.of("Describe this image."), "s3://" + BUCKET + "/cats/1.png")
                .maxNewTokens(10).build());

        GenerationResult result = events.awaitResult(id).value();
        LlavaPipeline.Result expected = direct(List.of("Describe this image."), PNG, 10).get(0);

        assertThat(result.error()).isNull();
        assertThat(result.text()).isEqualTo(Texts.of(expected.text()));
        assertThat(result.finishReason()).isEqualTo(contractReason(expected));
        assertThat(result.usage()).isEqualTo(GenerationResult.Usage.of(expected.promptTokens(),
                expected.completionTokens()));
        assertThat(events.tokens(id)).as("token events come before the result, so none will come").isEmpty();
    }

    @Test
    void aConversationWithTwoImagesIsRenderedWithTheChatTemplateAndTooManyImagesAreAnInvalidRequest()
            throws Exception {
        String id = newId("chat");
        produce(GenerationRequest.conversation(id, List.of(
                        ChatMessage.text("system", "Answer briefly."),
                        new ChatMessage("user", List.of(Part.image(0), Part.text("What is this?"))),
                        ChatMessage.text("assistant", "A picture."),
                        new ChatMessage("user", List.of(Part.image(1), Part.image(0), Part.text("And these?")))),
                List.of("s3://" + BUCKET + "/cats/1.png", TestImages.dataUrl(PNG))).maxNewTokens(10).build());
        String tooMany = newId("nine-images");
        produce(GenerationRequest.builder(tooMany, Texts.of("Compare."), null)
                .imageUrls(java.util.Collections.nCopies(9, TestImages.dataUrl(PNG))).build());

        GenerationResult result = events.awaitResult(id).value();
        LlavaPipeline.Result expected = reference.generate(List.of(LlavaPipeline.Request.conversation(
                new Conversation(List.of(
                        new Conversation.Message("system", List.of(Conversation.Part.text("Answer briefly."))),
                        new Conversation.Message("user", List.of(Conversation.Part.IMAGE,
                                Conversation.Part.text("What is this?"))),
                        new Conversation.Message("assistant", List.of(Conversation.Part.text("A picture."))),
                        new Conversation.Message("user", List.of(Conversation.Part.IMAGE, Conversation.Part.IMAGE,
                                Conversation.Part.text("And these?"))))),
                List.of(PNG, PNG, PNG), SamplingParams.greedy(10))), LlavaPipeline.Listener.NONE).get(0);
        assertThat(result.error()).isNull();
        assertThat(result.text()).isEqualTo(Texts.of(expected.text()));
        assertThat(result.usage()).isEqualTo(GenerationResult.Usage.of(expected.promptTokens(),
                expected.completionTokens()));

        GenerationResult refused = events.awaitResult(tooMany).value();
        assertThat(refused.error()).isEqualTo(new GenerationResult.Failure("invalid_request",
                "the request has 9 images; at most 8 are allowed"));
    }

    @Test
    void aPoisonRecordIsDeadLetteredWithItsReasonAndTheNextRequestStillSucceeds() throws Exception {
        String id = newId("after-poison");
        byte[] key = ("poison-" + id).getBytes(UTF_8);
        byte[] garbage = "{\"request_id\": \"x\", oops".getBytes(UTF_8);
        byte[] unknownField = "{\"request_id\":\"y\",\"text\":\"Hi\",\"max_tokens\":5}".getBytes(UTF_8);
        // Same key, same partition: the good request comes after both poison records.
        RecordMetadata first = raw.send(new ProducerRecord<>(TOPIC, key, garbage)).get();
        raw.send(new ProducerRecord<>(TOPIC, key, unknownField)).get();
        requests.send(new ProducerRecord<>(TOPIC, "poison-" + id,
                GenerationRequest.builder(id, Texts.of("Say hi."), null).maxNewTokens(4).build())).get();

        GenerationResult result = events.awaitResult(id).value();
        assertThat(result.error()).isNull();
        assertThat(result.text().get(0)).isEqualTo(direct(List.of("Say hi."), null, 4).get(0).text());

        List<ConsumerRecord<byte[], byte[]>> parked = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            dlq.subscribe(List.of(Topics.dlq(TOPIC)));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                dlq.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (Arrays.equals(r.key(), key)) {
                        parked.add(r);
                    }
                });
                return parked.size() >= 2;
            });
        }
        assertThat(parked.get(0).value()).isEqualTo(garbage);
        assertThat(header(parked.get(0), DeadLetterHeaders.REASON))
                .startsWith("invalid kaption.requests/v1 value: $: not valid JSON: ");
        assertThat(header(parked.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo(Long.toString(first.offset()));
        assertThat(parked.get(1).value()).isEqualTo(unknownField);
        assertThat(header(parked.get(1), DeadLetterHeaders.REASON))
                .isEqualTo("invalid kaption.requests/v1 value: $: property 'max_tokens' is not defined in the schema and "
                        + "the schema does not allow additional properties");
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        return new String(record.headers().lastHeader(name).value(), UTF_8);
    }

    @Test
    void aConversationWithAJsonSchemaAnswersWithValidatingJsonEndToEnd() throws Exception {
        String id = newId("chat-schema");
        ObjectNode schema = (ObjectNode) new ObjectMapper().readTree("{\"type\": \"object\", \"properties\": "
                + "{\"colour\": {\"enum\": [\"orange\", \"blue\"]}, \"many\": {\"type\": \"boolean\"}}, "
                + "\"required\": [\"colour\", \"many\"], \"additionalProperties\": false}");
        produce(GenerationRequest.conversation(id, List.of(
                        ChatMessage.text("system", "Answer in JSON."),
                        new ChatMessage("user", List.of(Part.image(0),
                                Part.text("Which colour, and are there many?")))),
                List.of(TestImages.dataUrl(PNG))).jsonSchema(schema).maxNewTokens(40).build());

        GenerationResult result = events.awaitResult(id).value();
        LlavaPipeline.Result expected = reference.generate(List.of(LlavaPipeline.Request.conversation(
                new Conversation(List.of(
                        new Conversation.Message("system", List.of(Conversation.Part.text("Answer in JSON."))),
                        new Conversation.Message("user", List.of(Conversation.Part.IMAGE,
                                Conversation.Part.text("Which colour, and are there many?"))))),
                List.of(PNG), SamplingParams.greedy(40), OutputConstraint.jsonSchema(schema))),
                LlavaPipeline.Listener.NONE).get(0);
        assertThat(expected.error()).isNull();
        assertThat(result.error()).isNull();
        assertThat(result.text()).isEqualTo(Texts.of(expected.text()));
        // The demo model's answers are noise, but constrained noise: a complete document that validates, then EOS.
        assertThat(result.finishReason()).isEqualTo(FinishReason.STOP);
        JsonNode answer = new ObjectMapper().readTree(result.text().get(0));
        assertThat(answer.path("colour").asText()).isIn("orange", "blue");
        assertThat(answer.path("many").isBoolean()).isTrue();
        assertThat(answer.size()).isEqualTo(2);
    }

    @Test
    void badImagesAndInvalidConstraintsFailAloneWhileTheRestOfTheBatchSucceeds() throws Exception {
        String good = newId("good");
        String missing = newId("missing");
        String corrupt = newId("corrupt");
        String constrained = newId("regex");
        String badRegex = newId("bad-regex");
        String missingUrl = "s3://" + BUCKET + "/cats/missing.png";
        List<GenerationRequest> batch = List.of(
                GenerationRequest.builder(missing, Texts.of("What?"), missingUrl).stream(true).build(),
                GenerationRequest.builder(good, Texts.of("What is this?"), TestImages.dataUrl(PNG)).maxNewTokens(8)
                        .build(),
                GenerationRequest.builder(corrupt, Texts.of("What?"), "data:image/png;base64,"
                        + Base64.getEncoder().encodeToString("no pixels here".getBytes(UTF_8))).build(),
                GenerationRequest.builder(constrained, Texts.of("A number?"), null).regexString("[0-9]{1,4}")
                        .maxNewTokens(8).build(),
                GenerationRequest.builder(badRegex, Texts.of("A number?"), null).regexString("([0-9]").build());
        for (GenerationRequest request : batch) {
            requests.send(new ProducerRecord<>(TOPIC, request.requestId(), request));
        }
        requests.flush();

        GenerationResult goodResult = events.awaitResult(good).value();
        assertThat(goodResult.error()).isNull();
        assertThat(goodResult.text().get(0)).isEqualTo(direct(List.of("What is this?"), PNG, 8).get(0).text());

        GenerationResult missingResult = events.awaitResult(missing).value();
        assertThat(missingResult.finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(missingResult.error()).isEqualTo(new GenerationResult.Failure("image_unavailable",
                missingUrl + ": NoSuchKey"));
        assertThat(events.tokens(missing)).extracting(Received::value)
                .usingRecursiveFieldByFieldElementComparatorIgnoringFields("attempt")
                .containsExactly(TokenEvent.last(missing, 0, 0, "", FinishReason.ERROR));
        assertThat(events.tokens(missing).get(0).value().attempt()).as("the attempt that produced it").isNotBlank();

        GenerationResult corruptResult = events.awaitResult(corrupt).value();
        assertThat(corruptResult.error().code()).isEqualTo("invalid_image");
        assertThat(corruptResult.error().message()).startsWith("not_an_image: ");

        // The demo model's answers are noise, but constrained noise: one to four digits, then EOS.
        GenerationResult constrainedResult = events.awaitResult(constrained).value();
        assertThat(constrainedResult.error()).isNull();
        assertThat(constrainedResult.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(constrainedResult.text().get(0)).matches("[0-9]{1,4}");

        GenerationResult badRegexResult = events.awaitResult(badRegex).value();
        assertThat(badRegexResult.error().code()).isEqualTo("invalid_request");
        assertThat(badRegexResult.error().message())
                .startsWith("regex_string: invalid regular expression: missing ), unterminated subpattern");
    }

    @Test
    void aTemperatureTooSmallForFloatsDecodesGreedilyAndSpoilsNothingElse() throws Exception {
        // 1e-50 is 0 as a float: the sampler's softmax became NaN and threw, failing every row of the batch.
        String tiny = newId("tiny-temperature");
        String neighbour = newId("neighbour");
        requests.send(new ProducerRecord<>(TOPIC, tiny, GenerationRequest.builder(tiny, Texts.of("Say hi."), null)
                .samplingTemperature(1e-50).samplingTopk(40).maxNewTokens(6).build()));
        requests.send(new ProducerRecord<>(TOPIC, neighbour, GenerationRequest.builder(neighbour,
                Texts.of("What is this?"), TestImages.dataUrl(PNG)).maxNewTokens(6).build()));
        requests.flush();

        GenerationResult tinyResult = events.awaitResult(tiny).value();
        GenerationResult neighbourResult = events.awaitResult(neighbour).value();
        assertThat(tinyResult.error()).isNull();
        assertThat(tinyResult.text().get(0)).isEqualTo(direct(List.of("Say hi."), null, 6).get(0).text());
        assertThat(neighbourResult.error()).isNull();
        assertThat(neighbourResult.text().get(0)).isEqualTo(direct(List.of("What is this?"), PNG, 6).get(0).text());
    }

    @Test
    void aCancellationStopsALongGenerationAndItsOffsetIsCommittedOnlyAfterItsResult() throws Exception {
        String id = newId("long");
        int maxNewTokens = 4000;
        RecordMetadata sent = produce(GenerationRequest.builder(id, Texts.of("Tell me a very long story."), null)
                .stream(true).maxNewTokens(maxNewTokens).minNewTokens(maxNewTokens).build());
        TopicPartition partition = new TopicPartition(TOPIC, sent.partition());

        await().atMost(Duration.ofSeconds(60)).until(() -> !events.tokens(id).isEmpty());
        Long committedWhileRunning = committed(partition);
        cancellations.send(new ProducerRecord<>(Topics.CANCELLATIONS, id, new Cancellation(id, "client_disconnected")))
                .get();

        GenerationResult result = events.awaitResult(id).value();
        // It was cancelled, so it was still running when the committed offset was read above.
        assertThat(result.error()).isEqualTo(new GenerationResult.Failure("cancelled",
                "request cancelled (client_disconnected)"));
        assertThat(committedWhileRunning == null || committedWhileRunning <= sent.offset())
                .as("committed offset %s while request at offset %d was running", committedWhileRunning, sent.offset())
                .isTrue();
        List<TokenEvent> stream = streamOf(events.tokens(id), 0);
        assertThat(stream.get(stream.size() - 1).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(stream.size() - 1).as("chunks before the cancellation").isLessThan(maxNewTokens);

        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Long committed = committed(partition);
            return committed != null && committed > sent.offset();
        });
    }
}
