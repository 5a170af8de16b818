package io.kaption.worker.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.engine.FailureKind;
import io.kaption.engine.LlavaPipeline;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Texts;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.worker.publish.RequestProgress.PromptOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestProgressTest {

    private static GenerationRequest request(boolean stream, String... texts) {
        Texts text = texts.length == 1 ? Texts.of(texts[0]) : Texts.ofList(List.of(texts));
        return GenerationRequest.builder("req-1", text, null).stream(stream).jobId("job-7").recordId("rec-42").build();
    }

    private static LlavaPipeline.Result engineResult(String text, io.kaption.engine.generation.FinishReason reason,
            int promptTokens, int completionTokens) {
        return new LlavaPipeline.Result(text, new int[completionTokens], new int[0], reason, promptTokens,
                completionTokens, null, null);
    }

    private static final String ATTEMPT = "w1-1";

    private static String json(GenerationResult result) {
        return new String(ContractCodec.RESULTS.encode(result), StandardCharsets.UTF_8);
    }

    @Test
    void aStreamingListGetsGaplessIndexesPerBatchIdAndOneFinalEventEach() {
        RequestProgress progress = new RequestProgress(request(true, "What?", "Colour?"), ATTEMPT);
        List<TokenEvent> events = new ArrayList<>();
        progress.text(0, "A").ifPresent(events::add);
        progress.text(1, " Grey").ifPresent(events::add);
        progress.text(0, " cat").ifPresent(events::add);
        progress.text(0, "").ifPresent(events::add); // empty chunks are not events
        progress.end(1, PromptOutcome.of(engineResult(" Grey", io.kaption.engine.generation.FinishReason.EOS, 40, 3),
                null)).ifPresent(events::add);
        assertThat(progress.isComplete()).isFalse();
        progress.end(0, PromptOutcome.of(engineResult("A cat", io.kaption.engine.generation.FinishReason.LENGTH, 41,
                8), null)).ifPresent(events::add);

        assertThat(events).containsExactly(
                TokenEvent.chunk("req-1", 0, 0, "A").withAttempt(ATTEMPT),
                TokenEvent.chunk("req-1", 1, 0, " Grey").withAttempt(ATTEMPT),
                TokenEvent.chunk("req-1", 0, 1, " cat").withAttempt(ATTEMPT),
                TokenEvent.last("req-1", 1, 1, "", FinishReason.STOP).withAttempt(ATTEMPT),
                TokenEvent.last("req-1", 0, 2, "", FinishReason.LENGTH).withAttempt(ATTEMPT));
        assertThat(progress.isComplete()).isTrue();
        assertThat(json(progress.result(35, 812))).isEqualTo("{\"request_id\":\"req-1\",\"text\":[\"A cat\",\" Grey\"],"
                + "\"finish_reason\":\"length\",\"usage\":{\"prompt_tokens\":81,\"completion_tokens\":11,"
                + "\"total_tokens\":92},\"job_id\":\"job-7\",\"record_id\":\"rec-42\",\"queued_ms\":35,"
                + "\"inference_ms\":812,\"stream\":true}");
    }

    @Test
    void aSingleNonStreamingTextPublishesNoTokenEventsAndAnswersWithAString() {
        RequestProgress progress = new RequestProgress(request(false, "What?"), ATTEMPT);
        assertThat(progress.text(0, "A cat")).isEmpty();
        assertThat(progress.end(0, PromptOutcome.of(engineResult("A cat", io.kaption.engine.generation.FinishReason.EOS,
                30, 3), null))).isEmpty();
        assertThat(json(progress.result(0, 5))).isEqualTo("{\"request_id\":\"req-1\",\"text\":\"A cat\","
                + "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":3,"
                + "\"total_tokens\":33},\"job_id\":\"job-7\",\"record_id\":\"rec-42\",\"queued_ms\":0,\"inference_ms\":5,"
                + "\"stream\":false}");
    }

    @Test
    void theFirstFailureOfAnyPromptFailsTheRequest() {
        RequestProgress progress = new RequestProgress(request(true, "What?", "Colour?", "Size?"), ATTEMPT);
        Failure tooLong = new Failure("prompt_too_long", "prompt (4000 tokens) plus max_new_tokens (128) exceeds the "
                + "model's 4096 positions");
        LlavaPipeline.Result rejected = new LlavaPipeline.Result("", new int[0], new int[0],
                io.kaption.engine.generation.FinishReason.ERROR, 0, 0, tooLong.message(), FailureKind.PROMPT_TOO_LONG);
        progress.text(0, "A").orElseThrow();
        assertThat(progress.end(1, PromptOutcome.of(rejected, null)))
                .contains(TokenEvent.last("req-1", 1, 0, "", FinishReason.ERROR).withAttempt(ATTEMPT));
        // The siblings are then stopped with the first failure as their cause.
        LlavaPipeline.Result stopped = engineResult("A", io.kaption.engine.generation.FinishReason.CANCELLED, 30, 1);
        assertThat(progress.end(0, PromptOutcome.of(stopped, tooLong)))
                .contains(TokenEvent.last("req-1", 0, 1, "", FinishReason.ERROR).withAttempt(ATTEMPT));
        assertThat(progress.failRemaining(tooLong)).containsExactly(TokenEvent.last("req-1", 2, 0, "", FinishReason.ERROR).withAttempt(ATTEMPT));

        assertThat(progress.failure()).isEqualTo(tooLong);
        assertThat(json(progress.result(1, 2))).isEqualTo("{\"request_id\":\"req-1\",\"finish_reason\":\"error\","
                + "\"error\":{\"code\":\"prompt_too_long\",\"message\":\"prompt (4000 tokens) plus max_new_tokens (128)"
                + " exceeds the model's 4096 positions\"},\"job_id\":\"job-7\",\"record_id\":\"rec-42\","
                + "\"queued_ms\":1,\"inference_ms\":2,\"stream\":true}");
    }

    @Test
    void engineFailureKindsMapToStableCodes() {
        assertThat(PromptOutcome.of(new LlavaPipeline.Result("", new int[0], new int[0],
                io.kaption.engine.generation.FinishReason.ERROR, 0, 0, "inference failed: boom",
                FailureKind.INFERENCE_FAILED), null).failure())
                .isEqualTo(new Failure("inference_failed", "inference failed: boom"));
        assertThat(ErrorCodes.of(FailureKind.INVALID_IMAGE)).isEqualTo("invalid_image");
        assertThat(ErrorCodes.of(FailureKind.INVALID_PROMPT)).isEqualTo("invalid_request");
        assertThat(ErrorCodes.of(FailureKind.PROMPT_TOO_LONG)).isEqualTo("prompt_too_long");
    }

    @Test
    void aRequestFailedBeforeTheEngineStillEndsEveryStreamedPrompt() {
        RequestProgress progress = new RequestProgress(request(true, "What?", "Colour?"), ATTEMPT);
        Failure cancelled = new Failure("cancelled", "request cancelled (client_disconnected)");
        assertThat(progress.failRemaining(cancelled)).containsExactly(
                TokenEvent.last("req-1", 0, 0, "", FinishReason.ERROR).withAttempt(ATTEMPT),
                TokenEvent.last("req-1", 1, 0, "", FinishReason.ERROR).withAttempt(ATTEMPT));
        assertThat(progress.result(0, 0).error()).isEqualTo(cancelled);
    }

    @Test
    void aPromptEndsOnceAndTheResultWaitsForAll() {
        RequestProgress progress = new RequestProgress(request(false, "What?", "Colour?"), ATTEMPT);
        progress.end(0, PromptOutcome.failed(new Failure("cancelled", "request cancelled")));
        assertThatThrownBy(() -> progress.result(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> progress.text(0, "late")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyProgressIsANewAttemptWhoseEventsCarryItsId() {
        RequestProgress first = new RequestProgress(request(true, "What?"));
        RequestProgress redelivered = new RequestProgress(request(true, "What?"));

        assertThat(first.attempt()).isNotEqualTo(redelivered.attempt()).matches("[0-9a-f]{8}-[0-9]+");
        assertThat(first.text(0, "A").orElseThrow().attempt()).isEqualTo(first.attempt());
        assertThat(redelivered.end(0, PromptOutcome.failed(new Failure("cancelled", "stop"))).orElseThrow().attempt())
                .isEqualTo(redelivered.attempt());
    }
}
