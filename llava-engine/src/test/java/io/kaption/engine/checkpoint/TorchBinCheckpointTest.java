package io.kaption.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.TorchBinFixture;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import io.kaption.engine.weights.SafetensorsWriter;
import io.kaption.engine.weights.Tensor;
import io.kaption.engine.weights.TensorSource;
import io.kaption.engine.weights.TorchCheckpointException;
import io.kaption.engine.vision.PixelValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * PyTorch {@code .bin} checkpoints made by torch from the public fixtures (see {@code fixtures/torch-bin/README.md})
 * load wherever a checkpoint is loaded, in both layouts, and compute what the fixtures and safetensors compute.
 */
class TorchBinCheckpointTest {

    @TempDir
    Path temp;

    @Test
    void shardedFloat32OriginalCheckpointWithBinVisionTowerGivesTheGoldenTokens() throws Exception {
        LlavaEngine.Options options = new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32,
                TorchBinFixture.path(TorchBinFixture.ORIGINAL_CLIP), 4);
        try (LlavaFixture fixture = LlavaFixture.open("llava-mistral-tiny");
                LlavaEngine engine = LlavaEngine.load(TorchBinFixture.path(TorchBinFixture.ORIGINAL), options)) {
            assertThat(engine.config().format()).isEqualTo(CheckpointFormat.ORIGINAL_LLAVA);
            assertThat(engine.config().text().modelType()).isEqualTo("mistral");
            OriginalLayoutTest.assertMatchesFixture(engine, fixture,
                    List.of("square", "tall", "exact", "padsq:wide3x1", "padsq:gray"));
        }
    }

    @Test
    void originalBinCheckpointNamingAHubTowerNeedsTheOverride() {
        assertThatThrownBy(() -> LlavaEngine.load(TorchBinFixture.path(TorchBinFixture.ORIGINAL),
                LlavaEngine.Options.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openai/clip-vit-large-patch14-336")
                .hasMessageContaining("override");
    }

    @Test
    void float16AndBfloat16BinWeightsComputeLikeTheSameWeightsInSafetensors() throws Exception {
        Path bin = TorchBinFixture.path(TorchBinFixture.MIXED_16BIT);
        Path safetensors = Files.createDirectories(temp.resolve("safetensors"));
        Set<String> storedTypes = new HashSet<>();
        try (TensorSource binWeights = TensorSource.open(bin);
                TensorSource fixtureWeights = TensorSource.open(LlavaFixture.modelDir("llava-next-tiny"))) {
            assertThat(binWeights.names()).isEqualTo(fixtureWeights.names());
            // The same weights in safetensors: the fixture's float32 rounded to each tensor's stored type by the
            // project's writer (round to nearest even, as torch's .to() rounds).
            Map<String, Tensor> tensors = new HashMap<>();
            Map<String, String> dtypes = new HashMap<>();
            for (String name : fixtureWeights.names()) {
                tensors.put(name, fixtureWeights.load(name));
                dtypes.put(name, binWeights.storedType(name));
                storedTypes.add(binWeights.storedType(name));
            }
            SafetensorsWriter.write(safetensors.resolve("model.safetensors"), tensors, dtypes);
            for (String file : List.of("config.json", "generation_config.json")) {
                Files.copy(bin.resolve(file), safetensors.resolve(file));
            }
            try (TensorSource written = TensorSource.open(safetensors)) {
                for (String name : binWeights.names()) {
                    assertThat(written.storedType(name)).isEqualTo(binWeights.storedType(name));
                    assertThat(binWeights.load(name).data()).as(name).isEqualTo(written.load(name).data());
                }
            }
        }
        assertThat(storedTypes).containsExactlyInAnyOrder("F16", "BF16");

        try (LlavaFixture fixture = LlavaFixture.open("llava-next-tiny");
                LlavaEngine fromBin = LlavaEngine.load(bin, LlavaEngine.Options.DEFAULTS);
                LlavaEngine fromSafetensors = LlavaEngine.load(safetensors, LlavaEngine.Options.DEFAULTS)) {
            for (String id : List.of("square", "wide3x1", "tiny5x7")) {
                JsonNode c = fixture.caseById(id);
                int[] ids = LlavaFixture.ints(c.path("input_ids"));
                PixelValues pixels = fixture.pixelsOfCase(c, "hf");
                assertThat(fromBin.promptLogits(ids, pixels)).as(id)
                        .isEqualTo(fromSafetensors.promptLogits(ids, pixels));
                int[] binTokens = fromBin.generate(List.of(new GenerationRequest(ids, pixels,
                        SamplingParams.greedy(10))), TokenListener.NONE).get(0).tokenIds();
                int[] safetensorsTokens = fromSafetensors.generate(List.of(new GenerationRequest(ids, pixels,
                        SamplingParams.greedy(10))), TokenListener.NONE).get(0).tokenIds();
                assertThat(binTokens).as(id).isNotEmpty().containsExactly(safetensorsTokens);
            }
        }
    }

    @Test
    void aDirectoryWithBothKindsLoadsTheSafetensorsAndSaysSo() throws Exception {
        Path both = TorchBinFixture.copy(TorchBinFixture.MIXED_16BIT, temp.resolve("both"));
        Files.copy(LlavaFixture.modelDir("llava-next-tiny").resolve("model.safetensors"),
                both.resolve("model.safetensors"));
        Logger logger = (Logger) LoggerFactory.getLogger(TensorSource.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (TensorSource weights = TensorSource.open(both)) {
            assertThat(weights.storedType("language_model.lm_head.weight")).isEqualTo("F32");
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(line -> assertThat(line).contains(both.toString())
                        .contains("both safetensors and PyTorch .bin").contains("loading the safetensors"));
    }

    @Test
    void aPickleNamingOsSystemIsRefusedWhereverTheCheckpointIsLoaded() throws Exception {
        Path model = TorchBinFixture.copy(TorchBinFixture.MIXED_16BIT, temp.resolve("evil"));
        Files.copy(TorchBinFixture.path("small/os-system.bin"), model.resolve("pytorch_model.bin"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> LlavaEngine.load(model, LlavaEngine.Options.DEFAULTS))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(model.resolve("pytorch_model.bin").toString())
                .hasMessageContaining("'os.system'");
        assertThat(Path.of("/tmp/kaption-pwned")).doesNotExist();
    }

    @Test
    void aTruncatedShardIsRefusedNamingIt() throws Exception {
        Path model = TorchBinFixture.copy(TorchBinFixture.ORIGINAL, temp.resolve("truncated"));
        Path shard = model.resolve("pytorch_model-00002-of-00002.bin");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        LlavaEngine.Options options = new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32,
                TorchBinFixture.path(TorchBinFixture.ORIGINAL_CLIP), 4);
        assertThatThrownBy(() -> LlavaEngine.load(model, options))
                .isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining(shard.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void aMissingShardIsRefusedNamingIt() throws Exception {
        Path model = TorchBinFixture.copy(TorchBinFixture.ORIGINAL, temp.resolve("missing"));
        Files.delete(model.resolve("pytorch_model-00001-of-00002.bin"));
        assertThatThrownBy(() -> TensorSource.open(model))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pytorch_model-00001-of-00002.bin")
                .hasMessageContaining("missing");
    }
}
