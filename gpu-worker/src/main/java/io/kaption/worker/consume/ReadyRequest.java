package io.kaption.worker.consume;

import io.kaption.engine.LlavaPipeline;
import io.kaption.schemas.GenerationResult.Failure;
import java.util.List;
import java.util.Objects;

/**
 * An accepted request made ready for the engine: one engine request per element of its {@code text} (batch id =
 * index), image loaded; or the reason it cannot run.
 *
 * @param prompts  the engine requests in batch-id order; empty when {@code failure} is set
 * @param failure  why the request fails before reaching the engine, or null
 * @param prepared the same requests already {@link LlavaPipeline#prepare prepared} (images decoded and preprocessed,
 *                 prompts encoded) off the decode thread, one per prompt; empty when they were not
 */
public record ReadyRequest(AcceptedRequest accepted, List<LlavaPipeline.Request> prompts, Failure failure,
        List<LlavaPipeline.Prepared> prepared) {

    public ReadyRequest {
        Objects.requireNonNull(accepted, "accepted");
        prompts = List.copyOf(prompts);
        prepared = List.copyOf(prepared);
        if ((failure == null) == prompts.isEmpty()) {
            throw new IllegalArgumentException("a ready request has prompts or a failure");
        }
        if (!prepared.isEmpty() && prepared.size() != prompts.size()) {
            throw new IllegalArgumentException("prepared " + prepared.size() + " of " + prompts.size() + " prompts");
        }
    }

    public ReadyRequest(AcceptedRequest accepted, List<LlavaPipeline.Request> prompts, Failure failure) {
        this(accepted, prompts, failure, List.of());
    }

    public static ReadyRequest failed(AcceptedRequest accepted, Failure failure) {
        return new ReadyRequest(accepted, List.of(), Objects.requireNonNull(failure, "failure"));
    }

    /** Engine rows the request takes: one per prompt (a failed one takes none, but counts as one for batching). */
    public int rows() {
        return Math.max(1, prompts.size());
    }
}
