package io.kaption.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.checkpoint.TextConfig;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.prompt.Conversation;
import io.kaption.engine.weights.SafetensorsWriter;
import io.kaption.engine.weights.Tensor;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.ChatMessage;
import io.kaption.schemas.ChatMessage.Part;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.ContractSerializer;
import io.kaption.schemas.topics.TopicProvisioner;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker with {@code KAPTION_LORA_DIR} (two adapters written for the demo model, one broken) and
 * {@code KAPTION_LORA_MAX_LOADED} 1, fed over Kafka: base and adapted requests decode in one batch and each gets
 * what {@link LlavaPipeline} gives directly with the same adapter; an unknown or broken adapter fails its request
 * alone with {@code invalid_request} naming it, and the worker keeps serving. (Token parity with transformers is
 * {@code LoraParityTest}'s, in llava-engine.)
 */
@ExtendWith(SharedInfrastructure.class)
class LoraWorkerIT {

    private static final String GROUP = "lora-it-" + UUID.randomUUID();
    private static final byte[] PNG = TestImages.png(Color.GREEN, Color.RED);

    @TempDir
    static Path temp;

    private static Path loraDir;
    private static LlavaPipeline reference;
    private static GpuWorker worker;
    private static EventCollector events;
    private static KafkaProducer<String, GenerationRequest> requests;

    @BeforeAll
    static void start() throws Exception {
        Path model = DemoCheckpoint.write(temp.resolve("demo-model"));
        loraDir = Files.createDirectories(temp.resolve("adapters"));
        reference = LlavaPipeline.load(model, LlavaPipeline.Options.DEFAULTS.withLora(loraDir, 8));
        TextConfig text = reference.engine().config().text();
        writeAdapter(loraDir.resolve("tone-a"), text, 4, 8, 1);
        writeAdapter(loraDir.resolve("tone-b"), text, 8, 16, 2);
        writeAdapter(loraDir.resolve("broken"), text, 4, 8, 3);
        // The config says r 2, the tensors are r 4: a shape mismatch found at load.
        Files.writeString(loraDir.resolve("broken/adapter_config.json"), Files.readString(
                loraDir.resolve("broken/adapter_config.json")).replace("\"r\":4", "\"r\":2"));
        String bootstrap = SharedInfrastructure.kafkaBootstrapServers();
        worker = GpuWorker.start(WorkerConfig.builder()
                .model(model)
                .loraDir(loraDir)
                .loraMaxLoaded(1)
                .consumerGroups(GROUP)
                .kafkaBootstrapServers(bootstrap)
                .topics(new TopicProvisioner.Settings(1, (short) 1))
                .maxBatchSize(4)
                .batchDuration(Duration.ofMillis(300))
                .shutdownGrace(Duration.ofSeconds(5))
                .build());
        events = EventCollector.start(bootstrap);
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");
        requests = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ContractSerializer<>(ContractCodec.REQUESTS, producerConfig));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {requests, events, worker, reference}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    /** A PEFT adapter (HF layout, regex target_modules) on every projection, random weights from {@code seed}. */
    static void writeAdapter(Path dir, TextConfig text, int r, double alpha, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int q = text.numHeads() * text.headDim();
        int kv = text.numKvHeads() * text.headDim();
        int hidden = text.hiddenSize();
        int inter = text.intermediateSize();
        Map<String, int[]> modules = new LinkedHashMap<>(); // in, out
        modules.put("self_attn.q_proj", new int[] {hidden, q});
        modules.put("self_attn.k_proj", new int[] {hidden, kv});
        modules.put("self_attn.v_proj", new int[] {hidden, kv});
        modules.put("self_attn.o_proj", new int[] {q, hidden});
        modules.put("mlp.gate_proj", new int[] {hidden, inter});
        modules.put("mlp.up_proj", new int[] {hidden, inter});
        modules.put("mlp.down_proj", new int[] {inter, hidden});
        for (int layer = 0; layer < text.numLayers(); layer++) {
            for (Map.Entry<String, int[]> m : modules.entrySet()) {
                String key = "base_model.model.model.language_model.layers." + layer + "." + m.getKey();
                tensors.put(key + ".lora_A.weight", random(random, r, m.getValue()[0]));
                tensors.put(key + ".lora_B.weight", random(random, m.getValue()[1], r));
            }
        }
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of());
        new ObjectMapper().writeValue(dir.resolve("adapter_config.json").toFile(), Map.of("peft_type", "LORA",
                "r", r, "lora_alpha", alpha, "target_modules",
                ".*language_model.*\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"));
    }

    private static Tensor random(Random random, int rows, int columns) {
        float[] data = new float[rows * columns];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() * 0.3);
        }
        return new Tensor(new long[] {rows, columns}, data);
    }

    private static String expected(String loraId, String prompt, int maxNewTokens) {
        LlavaPipeline.Result result = reference.generate(List.of(new LlavaPipeline.Request(prompt, true, PNG,
                SamplingParams.greedy(maxNewTokens)).withLora(loraId)), LlavaPipeline.Listener.NONE).get(0);
        assertThat(result.error()).isNull();
        return result.text();
    }

    private static GenerationRequest request(String id, String loraId) {
        return GenerationRequest.builder(id, Texts.of("Describe the picture."), TestImages.dataUrl(PNG))
                .maxNewTokens(10).loraId(loraId).build();
    }

    @Test
    void adaptersAndTheBaseModelShareABatchAndBadAdaptersFailAlone() throws Exception {
        String base = "base-" + UUID.randomUUID();
        String toneA = "tone-a-" + UUID.randomUUID();
        String toneB = "tone-b-" + UUID.randomUUID();
        String chatB = "chat-b-" + UUID.randomUUID();
        String unknown = "unknown-" + UUID.randomUUID();
        String broken = "broken-" + UUID.randomUUID();
        GenerationRequest chat = GenerationRequest.conversation(chatB, List.of(new ChatMessage("user",
                List.of(Part.image(0), Part.text("Describe the picture.")))), List.of(TestImages.dataUrl(PNG)))
                .maxNewTokens(10).loraId("tone-b").build();
        List<GenerationRequest> batch = List.of(request(base, null), request(toneA, "tone-a"),
                request(unknown, "no-such-adapter"), request(toneB, "tone-b"), request(broken, "broken"), chat);
        for (GenerationRequest request : batch) {
            requests.send(new ProducerRecord<>(Topics.requests(GROUP), request.requestId(), request));
        }
        requests.flush();

        String baseText = expected(null, "Describe the picture.", 10);
        String toneAText = expected("tone-a", "Describe the picture.", 10);
        String toneBText = expected("tone-b", "Describe the picture.", 10);
        assertThat(List.of(baseText, toneAText, toneBText)).as("the adapters change the answer").doesNotHaveDuplicates();
        assertThat(events.awaitResult(base).value().text()).isEqualTo(Texts.of(baseText));
        assertThat(events.awaitResult(toneA).value().text()).isEqualTo(Texts.of(toneAText));
        assertThat(events.awaitResult(toneB).value().text()).isEqualTo(Texts.of(toneBText));
        // The same prompt as a conversation renders the same chat template: the same answer.
        LlavaPipeline.Result chatExpected = reference.generate(List.of(LlavaPipeline.Request.conversation(
                new Conversation(List.of(new Conversation.Message("user", List.of(Conversation.Part.IMAGE,
                        Conversation.Part.text("Describe the picture."))))), List.of(PNG), SamplingParams.greedy(10))
                .withLora("tone-b")), LlavaPipeline.Listener.NONE).get(0);
        assertThat(events.awaitResult(chatB).value().text()).isEqualTo(Texts.of(chatExpected.text()));

        GenerationResult unknownResult = events.awaitResult(unknown).value();
        assertThat(unknownResult.finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(unknownResult.error()).isEqualTo(new GenerationResult.Failure("invalid_request",
                "unknown LoRA adapter 'no-such-adapter': no directory no-such-adapter in " + loraDir));
        GenerationResult brokenResult = events.awaitResult(broken).value();
        assertThat(brokenResult.error().code()).isEqualTo("invalid_request");
        assertThat(brokenResult.error().message()).contains("LoRA adapter 'broken'",
                loraDir.resolve("broken/adapter_model.safetensors").toString(), "has shape [4, 128], expected [2, 128]");

        // The worker keeps serving, adapters included.
        String after = "after-" + UUID.randomUUID();
        requests.send(new ProducerRecord<>(Topics.requests(GROUP), after, request(after, "tone-a"))).get();
        assertThat(events.awaitResult(after).value().text()).isEqualTo(Texts.of(toneAText));
    }
}
