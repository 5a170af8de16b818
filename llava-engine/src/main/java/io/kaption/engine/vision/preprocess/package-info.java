/**
 * Image decoding and preprocessing for LLaVA, reproducing the PIL-based Python pipelines bit for bit.
 *
 * <h2>API</h2>
 * <pre>{@code
 * ImageProcessor processor = ImageProcessor.forCheckpoint(modelDir, Optional.empty()); // once per checkpoint
 * PixelValues pixels = processor.process(requestImageBytes);  // decode + preprocess, thread-safe
 * int n = processor.imageTokenCount(pixels.originalHeight(), pixels.originalWidth()); // rows of image features
 * }</pre>
 * <ul>
 *   <li>{@link io.kaption.engine.vision.preprocess.ImageDecoder#decode(byte[])} — bytes to {@link
 *       io.kaption.engine.vision.preprocess.RgbImage} like {@code exif_transpose(Image.open(b)).convert("RGB")};
 *       bad input raises {@link io.kaption.engine.vision.preprocess.ImageDecodingException} (an
 *       {@code IllegalArgumentException}).</li>
 *   <li>{@link io.kaption.engine.vision.preprocess.ImageProcessor} — the checkpoint's processor: CLIP
 *       (llava-hf LLaVA-1.5), pad-to-square (original LLaVA-1.5, {@code LlavaImageProcessor(do_pad=True)}) or anyres
 *       (LLaVA-NeXT / 1.6), chosen from the config files. Output is {@link io.kaption.engine.vision.PixelValues}:
 *       {@code [patches, 3, S, S]} float32, anyres tiles after the base image, with the tile grid and original
 *       size the model's unpadding needs.</li>
 *   <li>{@link io.kaption.engine.vision.preprocess.Anyres} — the anyres geometry as pure functions (best
 *       resolution, unpadded feature grid, image-token count) for the model's feature packing.</li>
 *   <li>{@link io.kaption.engine.vision.preprocess.PilResize} — Pillow's resampler ({@code Resample.c}).</li>
 * </ul>
 */
package io.kaption.engine.vision.preprocess;
