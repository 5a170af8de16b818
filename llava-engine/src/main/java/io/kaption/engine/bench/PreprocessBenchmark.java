package io.kaption.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.engine.vision.PixelValues;
import io.kaption.engine.vision.preprocess.ImageProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/kaption bench preprocess}: images per second through a checkpoint's image preprocessing on one thread —
 * JPEG decoding, resizing, cropping or padding, normalising — the CPU work a worker's image threads do for every
 * image before the model sees it.
 */
@Command(name = "kaption bench preprocess", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Image decoding and preprocessing throughput (images/s, one thread).")
public final class PreprocessBenchmark implements Callable<Integer> {

    @Option(names = "--size", defaultValue = "640x480", paramLabel = "WxH",
            description = "JPEG size (default ${DEFAULT-VALUE})")
    String size;
    @Option(names = "--seconds", defaultValue = "10", paramLabel = "S",
            description = "seconds per timed repeat (default ${DEFAULT-VALUE})")
    double seconds;
    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N",
            description = "timed repeats, after as long a warm-up (default ${DEFAULT-VALUE})")
    int repeats;
    @Option(names = "--crop", defaultValue = "336", paramLabel = "PX", description = "without --model: CLIP's "
            + "shortest-edge resize and centre crop to this size, bicubic, as LLaVA-1.5's Hugging Face checkpoints "
            + "preprocess; a multiple of 14, the patch size (default ${DEFAULT-VALUE})")
    int crop;
    @Option(names = "--model", paramLabel = "DIR", description = "checkpoint whose preprocessing runs instead")
    Path model;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PreprocessBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        ImageProcessor processor = model != null ? ImageProcessor.forCheckpoint(model, Optional.empty())
                : clipProcessor(crop);
        List<byte[]> jpegs = BenchJpegs.noisyGradients(size, 32);
        System.out.printf(Locale.ROOT, "preprocessing of %s, %d JPEGs of %s (%d KB on average), one thread, %d repeats "
                        + "of %s s after %s s of warm-up; load average %s%n",
                model != null ? model : "CLIP " + crop + " px", jpegs.size(), size,
                jpegs.stream().mapToInt(b -> b.length).sum() / jpegs.size() / 1024, repeats, seconds, seconds,
                loadAverage());
        run(processor, jpegs);
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            rates[r] = run(processor, jpegs);
            System.out.printf(Locale.ROOT, "r%d: %.1f images/s (load %s)%n", r, rates[r], loadAverage());
        }
        Arrays.sort(rates);
        System.out.printf(Locale.ROOT, "kaption-bench preprocess: size=%s images_per_s=%.1f%n", size,
                rates[rates.length / 2]);
        return 0;
    }

    /**
     * The demo checkpoint's image preprocessing, resized and cropped to {@code crop} pixels: the checkpoint is written
     * to a scratch directory (its 35 MB of weights included), read, and deleted again.
     */
    private static ImageProcessor clipProcessor(int crop) throws IOException {
        Path dir = DemoCheckpoint.write(Files.createTempDirectory("kaption-bench-model"));
        try {
            Path file = dir.resolve("preprocessor_config.json");
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(file.toFile());
            config.putObject("size").put("shortest_edge", crop);
            config.putObject("crop_size").put("height", crop).put("width", crop);
            json.writeValue(file.toFile(), config);
            return ImageProcessor.forCheckpoint(dir, Optional.empty());
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path written : files.toList()) {
                    Files.delete(written);
                }
            }
            Files.delete(dir);
        }
    }

    /** Images per second over {@link #seconds}, cycling through {@code jpegs}. */
    private double run(ImageProcessor processor, List<byte[]> jpegs) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long images = 0;
        long checksum = 0;
        while (System.nanoTime() < end) {
            PixelValues pixels = processor.process(jpegs.get((int) (images % jpegs.size())));
            checksum += pixels.data().length;
            images++;
        }
        if (checksum <= 0) {
            throw new IllegalStateException("no pixels came out");
        }
        return images / ((System.nanoTime() - start) / 1e9);
    }

    private static String loadAverage() {
        try {
            return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+"), 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
