package io.kaption.worker.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.Texts;
import io.kaption.worker.consume.AcceptedRequest;
import io.kaption.worker.consume.Lane;
import io.kaption.worker.consume.ReadyRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Interactive-first selection and per-lane bounds of the hand-off, without Kafka or an engine. */
class HandoffTest {

    private static ReadyRequest ready(String id, Lane lane) {
        AcceptedRequest accepted = new AcceptedRequest(GenerationRequest.builder(id, Texts.of("Hi"), null).build(),
                lane, "t-0@0", 0, Instant.EPOCH, 0, () -> {});
        return ReadyRequest.failed(accepted, new Failure("x", "one row, no engine needed here"));
    }

    private static void offer(Handoff handoff, ReadyRequest request) {
        handoff.admit(request.accepted().lane());
        handoff.ready(request);
    }

    private static List<String> ids(List<ReadyRequest> requests) {
        return requests.stream().map(r -> r.accepted().requestId()).toList();
    }

    @Test
    void freeRowsGoToWaitingInteractiveRequestsFirstAndBulkFillsTheRest() throws Exception {
        Handoff handoff = new Handoff(16, 16);
        offer(handoff, ready("bulk-1", Lane.BULK));
        offer(handoff, ready("bulk-2", Lane.BULK));
        offer(handoff, ready("bulk-3", Lane.BULK));
        offer(handoff, ready("interactive-1", Lane.INTERACTIVE));
        offer(handoff, ready("interactive-2", Lane.INTERACTIVE));
        BatchCollector<ReadyRequest> collector = new BatchCollector<>(8, Duration.ZERO, ReadyRequest::rows,
                System::nanoTime);

        assertThat(ids(collector.drain(handoff, 3))).containsExactly("interactive-1", "interactive-2", "bulk-1");
        assertThat(ids(collector.drain(handoff, 1))).containsExactly("bulk-2");
        offer(handoff, ready("interactive-3", Lane.INTERACTIVE));
        assertThat(ids(collector.drain(handoff, 4))).as("a late interactive request overtakes waiting bulk ones")
                .containsExactly("interactive-3", "bulk-3");
        assertThat(handoff.poll(0, TimeUnit.NANOSECONDS)).isNull();
    }

    @Test
    void anIdleEngineStartsItsBatchWithTheInteractiveRequestsToo() throws Exception {
        Handoff handoff = new Handoff(16, 16);
        for (int i = 0; i < 4; i++) {
            offer(handoff, ready("bulk-" + i, Lane.BULK));
        }
        offer(handoff, ready("interactive", Lane.INTERACTIVE));
        BatchCollector<ReadyRequest> collector = new BatchCollector<>(2, Duration.ofSeconds(1), ReadyRequest::rows,
                System::nanoTime);

        assertThat(ids(collector.collect(handoff, Duration.ofSeconds(1)))).containsExactly("interactive", "bulk-0");
    }

    @Test
    void eachLaneIsFullAtItsOwnCapacityCountingFromAdmissionUntilTaken() throws Exception {
        Handoff handoff = new Handoff(3, 2);
        handoff.admit(Lane.BULK);
        assertThat(handoff.isFull(Lane.BULK)).isFalse();
        handoff.admit(Lane.BULK); // its image is still loading: it counts already
        assertThat(handoff.isFull(Lane.BULK)).isTrue();
        assertThat(handoff.isFull(Lane.INTERACTIVE)).as("a full bulk lane never holds interactive requests back")
                .isFalse();

        handoff.ready(ready("bulk-a", Lane.BULK));
        assertThat(handoff.isFull(Lane.BULK)).isTrue();
        assertThat(handoff.poll(0, TimeUnit.NANOSECONDS).accepted().requestId()).isEqualTo("bulk-a");
        assertThat(handoff.isFull(Lane.BULK)).isFalse();
        handoff.dropped(Lane.BULK);
        assertThat(handoff.admitted(Lane.BULK)).isZero();
    }

    @Test
    void pollWaitsForARequestOfEitherLane() throws Exception {
        Handoff handoff = new Handoff(4, 4);
        Thread producer = new Thread(() -> offer(handoff, ready("bulk-late", Lane.BULK)));
        producer.start();
        ReadyRequest taken = handoff.poll(60, TimeUnit.SECONDS);
        producer.join();
        assertThat(taken.accepted().requestId()).isEqualTo("bulk-late");
    }
}
