package io.kaption.ingest.takeoff;

import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;

import java.util.Optional;

/**
 * A Takeoff request as understood from HTTP: the contract request without its image reference yet, where the image
 * comes from, and how the answer is wanted.
 *
 * @param draft          the validated request ({@code image_url} still unset)
 * @param image          the request's one image, if any
 * @param returnMetadata whether the answer carries token counts
 */
public record TakeoffCall(GenerationRequest draft, Optional<ImageSource> image, boolean returnMetadata) {
}
