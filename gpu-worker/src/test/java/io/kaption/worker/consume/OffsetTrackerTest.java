package io.kaption.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    private static final TopicPartition P0 = new TopicPartition("kaption.requests.primary", 0);
    private static final TopicPartition P1 = new TopicPartition("kaption.requests.primary", 1);

    private final OffsetTracker tracker = new OffsetTracker();

    @Test
    void nothingIsCommittableUntilTheFirstRecordFinishes() {
        OffsetTracker.Ticket first = tracker.track(P0, 10);
        OffsetTracker.Ticket second = tracker.track(P0, 11);
        second.done();
        assertThat(tracker.committable()).isEmpty();

        first.done();
        assertThat(tracker.committable()).containsExactly(Map.entry(P0, new OffsetAndMetadata(12)));
    }

    @Test
    void theCommitPointStopsAtTheOldestUnfinishedRecord() {
        OffsetTracker.Ticket a = tracker.track(P0, 5);
        OffsetTracker.Ticket b = tracker.track(P0, 6);
        OffsetTracker.Ticket c = tracker.track(P0, 9); // offsets may have gaps (compaction, transaction markers)
        a.done();
        c.done();
        assertThat(tracker.committable()).containsExactly(Map.entry(P0, new OffsetAndMetadata(6)));
        assertThat(tracker.unfinished()).isEqualTo(1);

        b.done();
        assertThat(tracker.committable()).containsExactly(Map.entry(P0, new OffsetAndMetadata(10)));
        assertThat(tracker.unfinished()).isZero();
    }

    @Test
    void committedOffsetsAreNotOfferedAgainAndPartitionsAreIndependent() {
        tracker.track(P0, 0).done();
        OffsetTracker.Ticket slow = tracker.track(P1, 0);
        tracker.track(P1, 1).done();
        Map<TopicPartition, OffsetAndMetadata> first = tracker.committable();
        assertThat(first).containsExactly(Map.entry(P0, new OffsetAndMetadata(1)));

        tracker.committed(first);
        assertThat(tracker.committable()).isEmpty();

        slow.done();
        assertThat(tracker.committable()).containsExactly(Map.entry(P1, new OffsetAndMetadata(2)));
    }

    @Test
    void ticketsMayBeDoneTwice() {
        OffsetTracker.Ticket ticket = tracker.track(P0, 3);
        ticket.done();
        ticket.done();
        assertThat(tracker.committable()).containsExactly(Map.entry(P0, new OffsetAndMetadata(4)));
    }

    @Test
    void revocationReturnsWhatIsFinishedAndOldTicketsNoLongerCount() {
        tracker.track(P0, 20).done();
        OffsetTracker.Ticket running = tracker.track(P0, 21);
        tracker.track(P1, 0).done();

        assertThat(tracker.revoke(List.of(P0))).containsExactly(Map.entry(P0, new OffsetAndMetadata(21)));
        assertThat(tracker.committable()).containsOnlyKeys(P1);

        // P0 comes back (redelivered from the committed offset 21); the old ticket must not move the new state.
        OffsetTracker.Ticket redelivered = tracker.track(P0, 21);
        running.done();
        assertThat(tracker.committable()).doesNotContainKey(P0);
        redelivered.done();
        assertThat(tracker.committable()).containsEntry(P0, new OffsetAndMetadata(22));
    }

    @Test
    void lostPartitionsAreForgottenWithoutOffsets() {
        tracker.track(P0, 1).done();
        tracker.lost(List.of(P0));
        assertThat(tracker.committable()).isEmpty();
        assertThat(tracker.revoke(List.of(P0))).isEmpty();
    }

    @Test
    void recordsOfAPartitionMustComeInOffsetOrder() {
        tracker.track(P0, 7);
        assertThatThrownBy(() -> tracker.track(P0, 7)).hasMessageContaining("out of order");
        assertThatThrownBy(() -> tracker.track(P0, 2)).hasMessageContaining("out of order");
    }
}
