package io.kaption.events;

import static io.kaption.events.Events.chunk;
import static io.kaption.events.Events.completed;
import static io.kaption.events.Events.failed;
import static io.kaption.events.Events.jobResult;
import static io.kaption.events.Events.last;
import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class RequestHistoryTest {

    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final long T0 = 1_700_000_000_000L;

    private final RequestHistory history = new RequestHistory(WINDOW, 1000, GRACE);

    @Test
    void replaysHistoryThenFollowsLiveEventsThenDeliversTheResultLast() {
        history.addToken(10, chunk("r", 0, 0), T0);
        history.addToken(11, chunk("r", 0, 1), T0);
        RecordingListener listener = new RecordingListener();

        Subscription subscription = history.subscribe("r", -1, listener);
        assertThat(listener.calls).containsExactly("token 10", "token 11");
        history.addToken(12, last("r", 0, 2), T0);
        assertThat(history.addResult(completed("r", "t0.0t0.1"), T0, T0)).isFalse();

        assertThat(listener.calls).containsExactly("token 10", "token 11", "token 12", "result");
        assertThat(listener.tokens).extracting(TokenEvent::index).containsExactly(0, 1, 2);
        assertThat(listener.results).containsExactly(completed("r", "t0.0t0.1"));
        assertThat(subscription.requestId()).isEqualTo("r");
        assertThat(history.subscriptionCount()).isZero();
        assertThat(listener.violations).isEmpty();
    }

    @Test
    void aFinalEventWithAHugeBatchIdTakesNoMoreMemoryThanAnyOther() {
        // batch_id has no upper bound in the contract, so one bad record may carry 2^31 - 1.
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()).isTrue();
        long before = threads.getCurrentThreadAllocatedBytes();

        history.addToken(10, TokenEvent.last("r", Integer.MAX_VALUE, 0, "", FinishReason.STOP), T0);

        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addToken(11, last("r", 0, 0), T0);
        assertThat(history.addResult(completed("r", ""), T0, T0)).isFalse();
        assertThat(listener.calls).containsExactly("token 10", "token 11", "result");
    }

    @Test
    void startsAfterTheGivenOffset() {
        history.addToken(10, chunk("r", 0, 0), T0);
        history.addToken(11, chunk("r", 0, 1), T0);
        history.addToken(12, chunk("r", 0, 2), T0);
        RecordingListener listener = new RecordingListener();

        history.subscribe("r", 11, listener);
        history.addToken(13, chunk("r", 0, 3), T0);

        assertThat(listener.offsets).containsExactly(12L, 13L);
    }

    @Test
    void aResumePointAheadOfTheHistorySkipsEventsUpToIt() {
        // A restarted hub re-reads its window while a client resumes from an offset it has not reached yet.
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", 20, listener);

        history.addToken(19, chunk("r", 0, 0), T0);
        history.addToken(20, chunk("r", 0, 1), T0);
        history.addToken(21, chunk("r", 0, 2), T0);

        assertThat(listener.offsets).containsExactly(21L);
    }

    @Test
    void aRepeatedOffsetIsIgnored() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);

        history.addToken(5, chunk("r", 0, 0), T0);
        history.addToken(5, chunk("r", 0, 0), T0);
        history.addToken(4, chunk("r", 0, 0), T0);
        history.addToken(6, chunk("r", 0, 1), T0);

        assertThat(listener.offsets).containsExactly(5L, 6L);
        RecordingListener late = new RecordingListener();
        history.subscribe("r", -1, late);
        assertThat(late.offsets).containsExactly(5L, 6L);
    }

    @Test
    void aResultReadBeforeTheFinalTokensWaitsForThem() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addToken(1, chunk("r", 0, 0), T0);

        assertThat(history.addResult(completed("r", "t0.0"), T0, T0)).isTrue();
        assertThat(listener.results).isEmpty();
        history.addToken(2, last("r", 0, 1), T0);

        assertThat(listener.calls).containsExactly("token 1", "token 2", "result");
    }

    @Test
    void everyPromptOfAListNeedsItsFinalEvent() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addToken(1, chunk("r", 0, 0), T0);
        history.addToken(2, chunk("r", 1, 0), T0);
        history.addToken(3, last("r", 0, 1), T0);
        assertThat(history.addResult(completed("r", List.of("t0.0", "t1.0", "")), T0, T0)).isTrue();
        history.addToken(4, last("r", 2, 0), T0);
        assertThat(listener.results).isEmpty();

        history.addToken(5, last("r", 1, 1), T0);

        assertThat(listener.calls).containsExactly("token 1", "token 2", "token 3", "token 4", "token 5", "result");
    }

    @Test
    void aResultWithoutTokenEventsIsDeliveredWhenTheCallerSettlesIt() {
        // A non-streaming request: the hub settles it once it has read kaption.tokens as far as it went.
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);

        assertThat(history.addResult(completed("r", "done"), T0, T0)).isTrue();
        assertThat(listener.results).isEmpty();
        history.settle(List.of("r", "unknown"));

        assertThat(listener.calls).containsExactly("result");
        assertThat(history.subscriptionCount()).isZero();
    }

    @Test
    void aResultThatSaysItsRequestDidNotStreamIsDeliveredAtOnce() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("not-streamed", -1, listener);

        assertThat(history.addResult(completed("not-streamed", "done", false), T0, T0)).isFalse();

        assertThat(listener.calls).containsExactly("result");
        assertThat(history.subscriptionCount()).isZero();
        // A streamed one still waits for its final token events.
        RecordingListener streamedListener = new RecordingListener();
        history.subscribe("streamed", -1, streamedListener);
        assertThat(history.addResult(completed("streamed", "done", true), T0, T0)).isTrue();
        assertThat(streamedListener.calls).isEmpty();
    }

    @Test
    void aResultOnlySubscriberGetsTheResultAsSoonAsItIsRead() {
        // The ingest's blocking calls and the sink's result lookups: no token event to order the result after.
        RecordingListener resultOnly = new RecordingListener();
        RecordingListener stream = new RecordingListener();
        history.subscribe("r", Long.MAX_VALUE, resultOnly);
        history.subscribe("r", -1, stream);
        history.addToken(1, chunk("r", 0, 0), T0);

        assertThat(history.addResult(completed("r", "t0.0"), T0, T0)).isTrue();

        assertThat(resultOnly.calls).containsExactly("result");
        assertThat(stream.calls).containsExactly("token 1");
        assertThat(history.subscriptionCount()).isOne();
        history.addToken(2, last("r", 0, 1), T0);
        assertThat(stream.calls).containsExactly("token 1", "token 2", "result");
        assertThat(resultOnly.calls).containsExactly("result");
        assertThat(history.subscriptionCount()).isZero();
    }

    @Test
    void aResultOnlySubscriberArrivingWhileTheResultWaitsForTokensGetsItAtOnce() {
        assertThat(history.addResult(completed("r", "done"), T0, T0)).isTrue();
        RecordingListener resultOnly = new RecordingListener();
        RecordingListener stream = new RecordingListener();

        history.subscribe("r", Long.MAX_VALUE, resultOnly);
        history.subscribe("r", -1, stream);

        assertThat(resultOnly.calls).containsExactly("result");
        assertThat(stream.calls).isEmpty();
        assertThat(history.subscriptionCount()).isOne();
        history.settle(List.of("r"));
        assertThat(stream.calls).containsExactly("result");
        assertThat(resultOnly.calls).containsExactly("result");
        assertThat(resultOnly.violations).isEmpty();
    }

    @Test
    void anErrorResultCannotCountPromptsSoItWaitsToBeSettled() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addToken(1, TokenEvent.last("r", 0, 0, "", io.kaption.schemas.FinishReason.ERROR), T0);

        assertThat(history.addResult(failed("r"), T0, T0)).isTrue();
        assertThat(listener.results).isEmpty();
        history.settle(List.of("r"));

        assertThat(listener.calls).containsExactly("token 1", "result");
        assertThat(listener.results.get(0).error().code()).isEqualTo("inference_failed");
    }

    @Test
    void aResultWhoseTokensNeverCompleteIsDeliveredAfterTheGracePeriod() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addToken(1, chunk("r", 0, 0), T0);
        history.addResult(completed("r", "t0.0"), T0, T0);

        history.settleOverdue(T0 + GRACE.toMillis() - 1);
        assertThat(listener.results).isEmpty();
        history.settleOverdue(T0 + GRACE.toMillis());

        assertThat(listener.calls).containsExactly("token 1", "result");
    }

    @Test
    void aResultLeftToTheCatchUpBarrierIgnoresTheGracePeriod() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addResult(completed("r", "t0.0"), T0, T0);
        history.leaveToCatchUp(List.of("r"));

        history.settleOverdue(T0 + GRACE.toMillis() * 10);
        assertThat(listener.results).isEmpty();
        history.addToken(7, chunk("r", 0, 0), T0);
        history.settle(List.of("r"));

        assertThat(listener.calls).containsExactly("token 7", "result");
    }

    @Test
    void theResultIsDeliveredExactlyOnce() {
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);
        history.addResult(completed("r", "first"), T0, T0);

        history.settle(List.of("r"));
        history.settle(List.of("r"));
        history.settleOverdue(T0 + GRACE.toMillis() * 10);
        assertThat(history.addResult(completed("r", "second"), T0, T0)).isFalse();
        history.addToken(7, last("r", 0, 0), T0);

        assertThat(listener.results).containsExactly(completed("r", "first"));
        assertThat(listener.violations).isEmpty();
    }

    @Test
    void subscribingAfterTheResultGetsReplayAndResultAtOnce() {
        history.addToken(1, chunk("r", 0, 0), T0);
        history.addToken(2, last("r", 0, 1), T0);
        history.addResult(completed("r", "t0.0"), T0, T0);
        RecordingListener listener = new RecordingListener();

        history.subscribe("r", -1, listener);

        assertThat(listener.calls).containsExactly("token 1", "token 2", "result");
        assertThat(history.subscriptionCount()).isZero();
        RecordingListener resumed = new RecordingListener();
        history.subscribe("r", 2, resumed);
        assertThat(resumed.calls).containsExactly("result");
    }

    @Test
    void closingASubscriptionStopsItsEventsAndForgetsAnUnknownRequest() {
        RecordingListener listener = new RecordingListener();
        Subscription subscription = history.subscribe("queued", -1, listener);
        assertThat(history.subscriptionCount()).isEqualTo(1);
        assertThat(history.size()).isEqualTo(1);

        subscription.close();
        subscription.close();
        history.addToken(1, chunk("queued", 0, 0), T0);

        assertThat(listener.calls).isEmpty();
        assertThat(history.subscriptionCount()).isZero();
        assertThat(history.size()).isEqualTo(1); // the token
    }

    @Test
    void aFailingListenerDoesNotStopTheOthers() {
        history.subscribe("r", -1, new RequestEventListener() {
            @Override
            public void onToken(long offset, TokenEvent event) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onRestart(long offset, StreamRestart restart) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onResult(GenerationResult result) {
                throw new IllegalStateException("listener bug");
            }
        });
        RecordingListener listener = new RecordingListener();
        history.subscribe("r", -1, listener);

        history.addToken(1, last("r", 0, 0), T0);
        history.addResult(completed("r", ""), T0, T0);

        assertThat(listener.calls).containsExactly("token 1", "result");
    }

    @Test
    void finishedRequestsAreForgottenOnceTheirResultIsOlderThanTheWindow() {
        history.addToken(1, last("done", 0, 0), T0);
        history.addResult(completed("done", "x"), T0 + 5, T0 + 5);
        history.addToken(2, chunk("orphan", 0, 0), T0 + 7); // its worker died: no result ever
        history.subscribe("waiting", -1, new RecordingListener());

        history.evictExpired(T0 + WINDOW.toMillis() + 5);
        assertThat(history.size()).isEqualTo(3);
        history.evictExpired(T0 + WINDOW.toMillis() + 6);
        assertThat(history.size()).isEqualTo(2);
        history.evictExpired(T0 + WINDOW.toMillis() + 8);
        assertThat(history.size()).isEqualTo(1); // the one with a subscriber stays

        RecordingListener late = new RecordingListener();
        history.subscribe("done", -1, late);
        assertThat(late.calls).isEmpty(); // forgotten: waited for like any unknown request
    }

    @Test
    void atTheCapTheRequestSettledLongestAgoGoesFirst() {
        RequestHistory small = new RequestHistory(WINDOW, 3, GRACE);
        small.addToken(1, last("quiet-unfinished", 0, 0), T0);
        small.addToken(2, last("settled-first", 0, 0), T0 + 1);
        small.addResult(completed("settled-first", "x"), T0 + 1, T0 + 1);
        small.addToken(3, last("settled-second", 0, 0), T0 + 2);
        small.addResult(completed("settled-second", "x"), T0 + 2, T0 + 2);

        small.addToken(4, chunk("new", 0, 0), T0 + 3);

        assertThat(small.size()).isEqualTo(3);
        assertThat(replay(small, "settled-first")).isEmpty();
        // (that look-up itself made room again, by dropping settled-second)
        assertThat(replay(small, "quiet-unfinished")).containsExactly(1L);
    }

    @Test
    void atTheCapABatchJobsResultGoesBeforeAnInteractiveRequestSettledEarlier() {
        RequestHistory small = new RequestHistory(WINDOW, 3, GRACE);
        small.addToken(1, last("interactive", 0, 0), T0);
        small.addResult(completed("interactive", "x"), T0, T0);
        small.addResult(jobResult("job-1-0", "job-1"), T0 + 1, T0 + 1);
        small.addResult(jobResult("job-1-1", "job-1"), T0 + 2, T0 + 2);

        small.addResult(jobResult("job-1-2", "job-1"), T0 + 3, T0 + 3);
        small.addResult(jobResult("job-1-3", "job-1"), T0 + 4, T0 + 4);

        assertThat(small.size()).isEqualTo(3);
        assertThat(replay(small, "interactive")).containsExactly(1L);
        assertThat(resultOf(small, "job-1-3")).isNotNull();
        assertThat(resultOf(small, "job-1-0")).isNull();
    }

    @Test
    void atTheCapWithoutSettledRequestsTheQuietestWithoutSubscribersGoes() {
        RequestHistory small = new RequestHistory(WINDOW, 2, GRACE);
        RecordingListener listener = new RecordingListener();
        small.addToken(1, chunk("quietest-but-watched", 0, 0), T0);
        small.subscribe("quietest-but-watched", -1, listener);
        small.addToken(2, chunk("quiet", 0, 0), T0 + 1);

        small.addToken(3, chunk("new", 0, 0), T0 + 2);

        assertThat(small.size()).isEqualTo(2);
        small.addToken(4, chunk("quietest-but-watched", 0, 1), T0 + 3);
        assertThat(listener.offsets).containsExactly(1L, 4L);
        assertThat(replay(small, "new")).containsExactly(3L);
    }

    @Test
    void concurrentSubscribersSeeEveryEventOnceInOrderWhileThePollThreadAppends() throws Exception {
        int tokenCount = 5000;
        int subscriberCount = 40;
        List<RecordingListener> listeners = new ArrayList<>();
        List<Long> startAfter = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> subscribers = new ArrayList<>();
        for (int i = 0; i < subscriberCount; i++) {
            RecordingListener listener = new RecordingListener();
            long after = i % 2 == 0 ? -1 : ThreadLocalRandom.current().nextLong(tokenCount);
            listeners.add(listener);
            startAfter.add(after);
            Thread subscriber = new Thread(() -> {
                awaitQuietly(go);
                // Subscribe at a random moment while the appender runs.
                long until = System.nanoTime() + ThreadLocalRandom.current().nextLong(2_000_000);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                history.subscribe("race", after, listener);
            });
            subscriber.start();
            subscribers.add(subscriber);
        }
        Thread appender = new Thread(() -> {
            awaitQuietly(go);
            for (int offset = 0; offset < tokenCount - 1; offset++) {
                history.addToken(offset, chunk("race", 0, offset), T0);
            }
            history.addToken(tokenCount - 1, last("race", 0, tokenCount - 1), T0);
            history.addResult(completed("race", "x"), T0, T0);
        });
        appender.start();
        go.countDown();
        appender.join();
        for (Thread subscriber : subscribers) {
            subscriber.join();
        }

        for (int i = 0; i < subscriberCount; i++) {
            RecordingListener listener = listeners.get(i);
            List<Long> expected = LongStream.range(startAfter.get(i) + 1, tokenCount).boxed().toList();
            assertThat(listener.offsets).as("subscriber %d after %d", i, startAfter.get(i)).isEqualTo(expected);
            assertThat(listener.results).hasSize(1);
            assertThat(listener.violations).isEmpty();
        }
        assertThat(history.subscriptionCount()).isZero();
    }

    private static List<Long> replay(RequestHistory history, String requestId) {
        RecordingListener listener = new RecordingListener();
        history.subscribe(requestId, -1, listener).close();
        return listener.offsets;
    }

    /** The result the history holds for the request, or null (looking it up tracks the request, like a lookup). */
    private static GenerationResult resultOf(RequestHistory history, String requestId) {
        RecordingListener listener = new RecordingListener();
        history.subscribe(requestId, Long.MAX_VALUE, listener).close();
        return listener.results.isEmpty() ? null : listener.results.get(0);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aReplayedStreamIsDeliveredOnceToLiveResumedAndLateSubscribers() {
        RecordingListener live = new RecordingListener();
        history.subscribe("r", -1, live);
        history.addToken(10, chunk("r", 0, 0).withAttempt("a"), T0);
        history.addToken(11, chunk("r", 0, 1).withAttempt("a"), T0);
        // The worker died; another one replays the request from the start.
        history.addToken(12, chunk("r", 0, 0).withAttempt("b"), T0);
        history.addToken(13, chunk("r", 0, 1).withAttempt("b"), T0);
        RecordingListener resumed = new RecordingListener();
        history.subscribe("r", 11, resumed); // a client that had read up to offset 11 reconnects
        history.addToken(14, chunk("r", 0, 2).withAttempt("b"), T0);
        history.addToken(15, last("r", 0, 3).withAttempt("b"), T0);
        history.addResult(completed("r", "t0.0t0.1t0.2"), T0, T0);
        RecordingListener late = new RecordingListener();
        history.subscribe("r", -1, late);

        assertThat(live.calls).containsExactly("token 10", "token 11", "token 14", "token 15", "result");
        assertThat(resumed.calls).containsExactly("token 14", "token 15", "result");
        assertThat(late.calls).isEqualTo(live.calls);
        assertThat(live.violations).isEmpty();
    }

    @Test
    void aDivergingReplayRestartsTheStreamAtTheOffsetWhereItWasNoticed() {
        RecordingListener live = new RecordingListener();
        history.subscribe("r", -1, live);
        history.addToken(10, TokenEvent.chunk("r", 0, 0, "A").withAttempt("a"), T0);
        history.addToken(11, TokenEvent.chunk("r", 0, 1, " grey").withAttempt("a"), T0);
        history.addToken(12, TokenEvent.chunk("r", 0, 0, "A").withAttempt("b"), T0);
        history.addToken(13, TokenEvent.chunk("r", 0, 1, " black").withAttempt("b"), T0);
        RecordingListener resumed = new RecordingListener();
        history.subscribe("r", 13, resumed);
        history.addToken(14, TokenEvent.last("r", 0, 2, "", FinishReason.STOP).withAttempt("b"), T0);
        history.addResult(completed("r", "A black"), T0, T0);

        assertThat(live.calls).containsExactly("token 10", "token 11", "restart 0 at 13", "token 14", "result");
        assertThat(live.restarts).containsExactly(new StreamRestart("r", 0, "A black", null));
        assertThat(resumed.calls).containsExactly("token 14", "result");
    }

    @Test
    void aResultThatIsNotTheStreamedTextIsPrecededByARestartWithItsText() {
        RecordingListener live = new RecordingListener();
        history.subscribe("r", -1, live);
        history.addToken(10, TokenEvent.chunk("r", 0, 0, "A").withAttempt("a"), T0);
        history.addToken(11, TokenEvent.chunk("r", 0, 0, "B").withAttempt("b"), T0);
        history.addToken(12, TokenEvent.last("r", 0, 1, "", FinishReason.STOP).withAttempt("b"), T0);
        // The first result came from attempt a, whose stream was dropped when b diverged.
        history.addResult(completed("r", "A."), T0, T0);
        history.addToken(13, TokenEvent.chunk("r", 0, 1, ".").withAttempt("a"), T0);
        RecordingListener late = new RecordingListener();
        history.subscribe("r", 12, late);

        assertThat(live.calls).containsExactly("token 10", "restart 0 at 11", "token 12", "restart 0", "result");
        assertThat(live.restarts.get(1)).isEqualTo(new StreamRestart("r", 0, "A.", FinishReason.STOP));
        assertThat(late.calls).as("token events after the result change nothing").containsExactly("restart 0", "result");
    }
}
