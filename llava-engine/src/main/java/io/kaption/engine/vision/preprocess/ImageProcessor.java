package io.kaption.engine.vision.preprocess;

import io.kaption.engine.vision.PixelValues;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns a decoded image into the vision tower's input, the way the checkpoint's own Python preprocessing does.
 * Instances are immutable and thread-safe.
 */
public interface ImageProcessor {

    /** Preprocesses one RGB image. */
    PixelValues process(RgbImage image);

    /** Decodes ({@link ImageDecoder}) and preprocesses one encoded image. */
    default PixelValues process(byte[] encodedImage) {
        return process(ImageDecoder.decode(encodedImage));
    }

    /**
     * How many image-token positions the model fills for an image of this original size: the count the single
     * image token of a prompt expands to.
     */
    int imageTokenCount(int height, int width);

    /**
     * The processor a checkpoint was trained with.
     *
     * <ul>
     *   <li>Hugging Face layout ({@code preprocessor_config.json} in {@code modelDir}): by
     *       {@code image_processor_type} — {@code CLIPImageProcessor}, {@code LlavaImageProcessor} (pad to square
     *       when {@code do_pad}) or {@code LlavaNextImageProcessor} (anyres).</li>
     *   <li>Original LLaVA layout ({@code mm_vision_tower} in {@code config.json}): the CLIP
     *       {@code preprocessor_config.json} of the vision tower directory ({@code visionTowerDir}, else
     *       {@code mm_vision_tower} when it names a local directory), with {@code image_aspect_ratio} "pad" (pad to
     *       square) or "anyres" ({@code image_grid_pinpoints} read as [width, height]).</li>
     * </ul>
     *
     * @throws IOException              when a config file cannot be read
     * @throws IllegalArgumentException when the configuration is not one of the above, with the reason
     */
    static ImageProcessor forCheckpoint(Path modelDir, Optional<Path> visionTowerDir) throws IOException {
        return CheckpointImageConfig.processorFor(modelDir, visionTowerDir);
    }
}
