package io.kaption.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaFixture;
import io.kaption.engine.TorchBinFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kaption generate --vision-tower} on an original-layout checkpoint shipped as PyTorch {@code .bin} shards
 * (CLIP tower as {@code .bin} too), as a liuhaotian release is downloaded: no conversion step.
 */
class GenerateCommandTorchBinTest {

    @TempDir
    Path temp;

    @Test
    void originalBinCheckpointWithVisionTowerPrintsTheFixturesAnswer() throws Exception {
        // An original release ships tokenizer.model only; the README asks for the llava-hf tokenizer.json beside it.
        Path model = TorchBinFixture.copy(TorchBinFixture.ORIGINAL, temp.resolve("llava-v1.5"));
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.copy(LlavaFixture.modelDir("llava-mistral-tiny").resolve(file), model.resolve(file));
        }
        JsonNode exact = LlavaFixture.open("llava-mistral-tiny").caseById("exact");
        // image_aspect_ratio "pad": the original repository's expand2square, the fixture's padsq mode
        JsonNode expected = exact.path("preprocess").path("padsq");
        Path image = LlavaFixture.variantDir("llava-mistral-tiny").resolve(exact.path("image").asText());

        GenerateCommandTest.Run run = GenerateCommandTest.run("--model", model.toString(),
                "--vision-tower", TorchBinFixture.path(TorchBinFixture.ORIGINAL_CLIP).toString(),
                "--image", image.toString(), "--text", exact.path("prompt_string").asText(),
                "--max-new-tokens", String.valueOf(expected.path("new_token_ids").size()));

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(expected.path("new_text").asText() + System.lineSeparator());
    }

    @Test
    void aRefusedCheckpointExitsWithItsReason() throws Exception {
        // A complete llava-hf directory whose weights are a malicious pickle
        Path model = Files.createDirectories(temp.resolve("evil"));
        try (Stream<Path> files = Files.list(LlavaFixture.modelDir("llava-next-tiny"))) {
            for (Path file : files.filter(f -> !f.getFileName().toString().endsWith(".safetensors")).toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        Files.copy(TorchBinFixture.path("small/os-system.bin"), model.resolve("pytorch_model.bin"));

        GenerateCommandTest.Run run = GenerateCommandTest.run("--model", model.toString(), "--prompt", "hi");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("'os.system'");
    }
}
