package io.kaption.ingest.generation;

import io.kaption.schemas.GenerationRequest;
import java.util.List;

/** Completes a request parsed from HTTP with what is only known later: its image references. */
public final class Drafts {

    private Drafts() {
    }

    /** {@code draft} with {@code imageUrl} (null: text only); every other field unchanged. */
    public static GenerationRequest withImage(GenerationRequest draft, String imageUrl) {
        return withImages(draft, imageUrl == null ? List.of() : List.of(imageUrl));
    }

    /**
     * {@code draft} with these images, every other field unchanged: a text's one image as {@code image_url}, several
     * (or a conversation's, which its image parts index) as {@code image_urls}.
     */
    public static GenerationRequest withImages(GenerationRequest draft, List<String> imageUrls) {
        boolean single = imageUrls.size() == 1 && draft.messages() == null;
        return draft.toBuilder()
                .imageUrl(single ? imageUrls.get(0) : null)
                .imageUrls(single || imageUrls.isEmpty() ? null : imageUrls)
                .build();
    }
}
