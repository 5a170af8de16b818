package io.kaption.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.jobs.JobSubmission;
import io.kaption.ingest.openai.ChatCall;
import io.kaption.ingest.openai.ChatCompletionRequests;
import io.kaption.ingest.takeoff.TakeoffCall;
import io.kaption.ingest.takeoff.TakeoffRequests;
import io.kaption.schemas.serde.ContractCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The JSON bodies of every ingest endpoint, any bytes, through the same parsing and validation the handlers run
 * (in-process, no HTTP: the handlers only add reading the body and publishing): Takeoff {@code /generate},
 * {@code /image_generate} (and their streams) and {@code /v1/requests} with their {@code <image:URL>} tags, OpenAI
 * {@code /v1/chat/completions}, {@code /v1/jobs}. Whatever the body, the outcome is a request that can be published
 * or an {@link ApiException} with a 4xx status, never another exception (which the server answers with a 500).
 * Under {@code mvn verify} this replays the committed corpus in {@code RequestBodiesFuzzTestInputs/};
 * {@code tools/fuzz/run} fuzzes each method.
 */
class RequestBodiesFuzzTest {

    private static final ImageIntakeConfig REMOTE_IMAGES_ON = new ImageIntakeConfig(true, List.of(), Optional.empty(),
            ImageIntakeConfig.DEFAULT_MAX_BYTES, ImageIntakeConfig.DEFAULT_MAX_PIXELS, Duration.ofSeconds(1),
            Duration.ofSeconds(1), Duration.ofSeconds(1), 0, ImageIntakeConfig.DEFAULT_MAX_IMAGES_PER_REQUEST);
    private static final TakeoffRequests.Mode[] MODES = TakeoffRequests.Mode.values();

    /** The first byte picks the endpoint family (blocking, stream, async); the rest is the body. */
    @FuzzTest(maxDuration = "60s")
    void takeoffJson(byte[] data) {
        if (data.length == 0) {
            return;
        }
        TakeoffRequests.Mode mode = MODES[Math.floorMod(data[0], MODES.length)];
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        try {
            TakeoffCall call = TakeoffRequests.parse(Json.parseObject(body, "the request body"), Optional.empty(),
                    "req-fuzz", mode, REMOTE_IMAGES_ON);
            assertThat(ContractCodec.REQUESTS.encode(call.draft())).isNotEmpty();
        } catch (ApiException e) {
            assertClientError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void chatCompletions(byte[] body) {
        try {
            ChatCall call = ChatCompletionRequests.parse(Json.parseObject(body, "the request body"), "req-fuzz");
            assertThat(ContractCodec.REQUESTS.encode(call.draft())).isNotEmpty();
        } catch (ApiException e) {
            assertClientError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void jobSubmission(byte[] body) {
        try {
            JobSubmission submission = JobSubmission.parse(Json.parseObject(body, "the request body"));
            String jobId = submission.newJobId(null);
            submission.requireOutputOutsideInput(jobId);
            assertThat(ContractCodec.JOBS.encode(submission.toSpec(jobId, Instant.EPOCH, null))).isNotEmpty();
        } catch (ApiException e) {
            assertClientError(e);
        }
    }

    private static void assertClientError(ApiException e) {
        assertThat(e.status()).as("status of %s: %s", e.code(), e.getMessage()).isBetween(400, 499);
        assertThat(e.code()).isNotBlank();
    }
}
