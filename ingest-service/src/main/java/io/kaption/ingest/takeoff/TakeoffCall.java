package io.kaption.ingest.takeoff;

import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;

import java.util.List;

/**
 * A Takeoff request as understood from HTTP: the contract request without its image reference yet, where the image
 * comes from, and how the answer is wanted.
 *
 * @param draft          the validated request ({@code image_url} still unset)
 * @param images         the request's images in order (image_data, image_url, image_urls, then {@code <image:URL>} tags)
 * @param returnMetadata whether the answer carries token counts
 */
public record TakeoffCall(GenerationRequest draft, List<ImageSource> images, boolean returnMetadata) {

    public TakeoffCall {
        images = List.copyOf(images);
    }
}
