package io.kaption.engine.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.LlavaPipeline.Request;
import io.kaption.engine.LlavaPipeline.Result;
import io.kaption.engine.checkpoint.LlavaConfig;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.weights.SafetensorsFile;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCheckpointTest {

    @TempDir
    Path temp;

    @Test
    void writingTwiceGivesIdenticalBytes() throws IOException {
        Path first = DemoCheckpoint.write(temp.resolve("first"));
        Path second = DemoCheckpoint.write(temp.resolve("second"));

        List<String> names = fileNames(first);
        assertThat(names).containsExactlyInAnyOrder("README.md", "chat_template.jinja", "config.json",
                "generation_config.json", "model.safetensors", "preprocessor_config.json", "processor_config.json",
                "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json");
        assertThat(fileNames(second)).containsExactlyInAnyOrderElementsOf(names);
        for (String name : names) {
            assertThat(Files.mismatch(first.resolve(name), second.resolve(name))).as(name).isEqualTo(-1L);
        }
    }

    @Test
    void weightsHaveTheShapesOfTheConfigAndNormsStartAtOne() throws IOException {
        Path dir = DemoCheckpoint.write(temp.resolve("model"));
        Map<String, long[]> shapes = RandomWeights.shapes(DemoCheckpoint.config());
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(shapes.keySet());
            shapes.forEach((name, shape) -> assertThat(file.shape(name)).as(name).containsExactly(shape));
            assertThat(file.load("language_model.model.norm.weight").data()).containsOnly(1f);
            assertThat(file.load("multi_modal_projector.linear_1.bias").data()).containsOnly(0f);
            float[] embeddings = file.load("language_model.model.embed_tokens.weight").data();
            double sumOfSquares = 0;
            for (float v : embeddings) {
                sumOfSquares += v * v;
            }
            assertThat(Math.sqrt(sumOfSquares / embeddings.length)).isBetween(0.019, 0.021);
        }
    }

    @Test
    void loadsAndGeneratesWithThePipeline() throws IOException {
        Path dir = DemoCheckpoint.write(temp.resolve("model"));
        byte[] png = png();
        SamplingParams params = SamplingParams.greedy(16);
        try (LlavaPipeline pipeline = LlavaPipeline.load(dir, LlavaPipeline.Options.DEFAULTS)) {
            LlavaConfig loaded = pipeline.engine().config();
            assertThat(loaded).usingRecursiveComparison().isEqualTo(DemoCheckpoint.config());

            List<String> chunks = new ArrayList<>();
            Result alone = pipeline.generate(List.of(new Request("What is in this picture?", true, png, params)),
                    (request, text) -> chunks.add(text)).get(0);
            List<Result> batched = pipeline.generate(List.of(
                    new Request("Describe the colours.", true, png, params),
                    new Request("What is in this picture?", true, png, params),
                    new Request("Say something without an image.", true, null, params)), LlavaPipeline.Listener.NONE);

            assertThat(alone.error()).isNull();
            assertThat(alone.completionTokens()).isPositive().isLessThanOrEqualTo(16);
            // LLaVA-1.5 prompt: BOS "USER:" ... the image as one id, expanded to 16 feature positions (56/14 squared)
            assertThat(alone.promptTokenIds()).startsWith(1, 3148, 1001, 29901).contains(32000);
            assertThat(alone.promptTokens()).isEqualTo(alone.promptTokenIds().length - 1 + 16);
            assertThat(String.join("", chunks)).isEqualTo(alone.text());
            assertThat(batched.get(1).tokenIds()).containsExactly(alone.tokenIds());
            assertThat(batched).allSatisfy(r -> assertThat(r.error()).isNull());
        }
    }

    private static byte[] png() throws IOException {
        BufferedImage image = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(0, 0, 80, 60);
        g.setColor(Color.BLUE);
        g.fillOval(20, 10, 40, 40);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
