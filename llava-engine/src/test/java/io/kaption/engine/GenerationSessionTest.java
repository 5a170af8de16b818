package io.kaption.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.generation.FinishReason;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.SamplingParams;
import io.kaption.engine.generation.TokenListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching over time: requests join a running batch, leave when cancelled, fail with their batch. */
class GenerationSessionTest {

    private static LlavaFixture fixture;
    private static LlavaEngine engine;

    @BeforeAll
    static void load() {
        fixture = LlavaFixture.open("llava15-tiny");
        engine = LlavaEngine.load(fixture.modelDir(), new LlavaEngine.Options(LlavaEngine.Precision.FLOAT32, null, 2));
    }

    @AfterAll
    static void close() {
        engine.close();
        fixture.close();
    }

    /** Tokens and results the session reported, by request id. */
    private static final class Recorder implements TokenListener {
        final Map<Integer, List<Integer>> tokens = new HashMap<>();
        final Map<Integer, GenerationResult> results = new HashMap<>();
        final List<Integer> finishOrder = new ArrayList<>();

        @Override
        public void onToken(int request, int token) {
            tokens.computeIfAbsent(request, r -> new ArrayList<>()).add(token);
        }

        @Override
        public void onFinish(int request, GenerationResult result) {
            assertThat(results.put(request, result)).as("one result for request %d", request).isNull();
            finishOrder.add(request);
        }
    }

    private GenerationRequest request(String caseId, int maxNewTokens) {
        JsonNode c = fixture.caseById(caseId);
        return new GenerationRequest(LlavaFixture.ints(c.path("input_ids")), fixture.pixelsOfCase(c, "hf"),
                SamplingParams.greedy(maxNewTokens));
    }

    private int[] greedyIds(String caseId) {
        return LlavaFixture.ints(fixture.caseById(caseId).path("preprocess").path("hf").path("new_token_ids"));
    }

    private static void stepUntilIdle(GenerationSession session) {
        for (int guard = 0; !session.isIdle(); guard++) {
            assertThat(guard).as("steps").isLessThan(1000);
            session.step();
        }
    }

    @Test
    void requestsSubmittedWhileOthersRunJoinAndDecodeAsIfAlone() {
        Recorder recorder = new Recorder();
        try (GenerationSession session = engine.newSession(recorder)) {
            session.submit(7, request("square", 12));
            session.step(); // prefill: first token
            session.step();
            session.step();
            assertThat(recorder.tokens.get(7)).hasSize(3);
            session.submit(8, request("tall", 12));
            session.submit(9, request("gray", 5)); // waits: two rows at most
            session.step();
            assertThat(session.running()).isEqualTo(2);
            assertThat(session.waiting()).isEqualTo(1);
            stepUntilIdle(session);
        }
        assertThat(recorder.results.get(7).tokenIds()).containsExactly(greedyIds("square"));
        assertThat(recorder.results.get(8).tokenIds()).containsExactly(greedyIds("tall"));
        assertThat(recorder.results.get(9).tokenIds()).containsExactly(Arrays.copyOf(greedyIds("gray"), 5));
        assertThat(recorder.results.values()).extracting(GenerationResult::finishReason)
                .containsOnly(FinishReason.LENGTH);
    }

    @Test
    void cancellingARunningRowKeepsItsTokensAndTheOtherRowGoesOn() {
        Recorder recorder = new Recorder();
        try (GenerationSession session = engine.newSession(recorder)) {
            session.submit(0, request("square", 12));
            session.submit(1, request("tall", 12));
            for (int i = 0; i < 4; i++) {
                session.step();
            }
            assertThat(session.cancel(0)).isTrue();
            assertThat(recorder.results.get(0).finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(recorder.results.get(0).tokenIds()).containsExactly(Arrays.copyOf(greedyIds("square"), 4));
            assertThat(session.running()).isEqualTo(1);
            assertThat(session.cancel(0)).as("already finished").isFalse();
            stepUntilIdle(session);
        }
        assertThat(recorder.results.get(1).tokenIds()).containsExactly(greedyIds("tall"));
    }

    @Test
    void cancellingAWaitingRequestEndsItWithoutTokens() {
        Recorder recorder = new Recorder();
        try (GenerationSession session = engine.newSession(recorder)) {
            session.submit(0, request("square", 12));
            session.submit(1, request("tall", 12));
            session.submit(2, request("gray", 12));
            session.step();
            assertThat(session.cancel(2)).isTrue();
            assertThat(session.waiting()).isZero();
            stepUntilIdle(session);
        }
        assertThat(recorder.results.get(2).finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(recorder.results.get(2).tokenIds()).isEmpty();
        assertThat(recorder.tokens).doesNotContainKey(2);
        assertThat(recorder.results.get(0).tokenIds()).containsExactly(greedyIds("square"));
    }

    @Test
    void invalidRequestsAreRejectedAtSubmitWithTheirKind() {
        Recorder recorder = new Recorder();
        JsonNode square = fixture.caseById("square");
        int[] ids = LlavaFixture.ints(square.path("input_ids"));
        try (GenerationSession session = engine.newSession(recorder)) {
            assertThatThrownBy(() -> session.submit(0,
                            new GenerationRequest(ids, List.of(), SamplingParams.greedy(4))))
                    .isInstanceOfSatisfying(RequestRejectedException.class,
                            e -> assertThat(e.kind()).isEqualTo(FailureKind.INVALID_PROMPT));
            assertThatThrownBy(() -> session.submit(1, request("square", 4090)))
                    .isInstanceOfSatisfying(RequestRejectedException.class,
                            e -> assertThat(e.kind()).isEqualTo(FailureKind.PROMPT_TOO_LONG));
            // prompt + max_new_tokens overflowed an int and passed the check, then failed allocating the row
            assertThatThrownBy(() -> session.submit(2, request("square", Integer.MAX_VALUE)))
                    .isInstanceOfSatisfying(RequestRejectedException.class,
                            e -> assertThat(e.kind()).isEqualTo(FailureKind.PROMPT_TOO_LONG));
            assertThat(session.isIdle()).isTrue();
        }
        assertThat(recorder.results).isEmpty();
    }

    @Test
    void anEngineFailureFailsTheRunningRowsAndTheSessionStaysUsable() {
        Recorder recorder = new Recorder();
        try (LlavaEngine doomed = LlavaEngine.load(fixture.modelDir(), LlavaEngine.Options.DEFAULTS);
             GenerationSession session = doomed.newSession(recorder)) {
            session.submit(0, request("square", 12));
            session.submit(1, request("tall", 12));
            session.step();
            doomed.close(); // frees the weights under the running batch: the next step fails natively
            session.step();
            assertThat(session.isIdle()).isTrue();
        }
        assertThat(recorder.results).containsOnlyKeys(0, 1);
        assertThat(recorder.results.values()).allSatisfy(result -> {
            assertThat(result.finishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(result.error()).startsWith("inference failed: ");
        });
    }
}
