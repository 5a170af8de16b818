package io.kaption.ingest.generation;

import io.kaption.schemas.GenerationRequest;

/** Completes a request parsed from HTTP with what is only known later: its image reference. */
public final class Drafts {

    private Drafts() {
    }

    /** {@code draft} with {@code imageUrl} (null: text only); every other field unchanged. */
    public static GenerationRequest withImage(GenerationRequest draft, String imageUrl) {
        return GenerationRequest.builder(draft.requestId(), draft.text(), imageUrl)
                .stream(draft.stream())
                .consumerGroup(draft.consumerGroup())
                .samplingTemperature(draft.samplingTemperature())
                .samplingTopp(draft.samplingTopp())
                .samplingTopk(draft.samplingTopk())
                .repetitionPenalty(draft.repetitionPenalty())
                .noRepeatNgramSize(draft.noRepeatNgramSize())
                .maxNewTokens(draft.maxNewTokens())
                .minNewTokens(draft.minNewTokens())
                .promptMaxTokens(draft.promptMaxTokens())
                .regexString(draft.regexString())
                .jsonSchema(draft.jsonSchema())
                .useChatTemplate(draft.useChatTemplate())
                .loraId(draft.loraId())
                .outputUri(draft.outputUri())
                .jobId(draft.jobId())
                .recordId(draft.recordId())
                .createdAt(draft.createdAt())
                .build();
    }
}
