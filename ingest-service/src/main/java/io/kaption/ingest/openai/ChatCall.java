package io.kaption.ingest.openai;

import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;

import java.util.List;
import java.util.Optional;

/**
 * A chat completion request as understood from HTTP.
 *
 * @param draft        the validated request, routed to {@code primary} until the model is resolved; no image yet
 * @param model        the {@code model} the client asked for, if any
 * @param images       the conversation's images, indexed by its messages' image parts
 * @param stream       whether to answer with {@code chat.completion.chunk} events
 * @param includeUsage whether a stream ends with a usage chunk ({@code stream_options.include_usage})
 */
public record ChatCall(GenerationRequest draft, Optional<String> model, List<ImageSource> images, boolean stream,
                       boolean includeUsage) {

    public ChatCall {
        images = List.copyOf(images);
    }
}
