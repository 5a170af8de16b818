package io.kaption.worker.consume;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of the assigned partitions may be committed. Records of one partition finish out of order (a short
 * request overtakes a long one), so a partition's commit point only moves up to the highest offset whose records
 * are <em>all</em> finished (results acknowledged by Kafka, or dead-lettered): a crash then redelivers every
 * unfinished record (at-least-once), never skips one.
 *
 * <p>Thread-safe: the consumer's poll thread tracks and commits, completion callbacks mark records done.
 */
public final class OffsetTracker {

    /** One tracked record; {@link #done()} may be called from any thread, more than once. */
    public interface Ticket {
        void done();
    }

    /** The records of one partition since its last commit point, in offset order. */
    private static final class PartitionState {
        final Deque<Entry> pending = new ArrayDeque<>();
        /** The next offset to commit (one past the last record finished with all before it), or -1. */
        long commitPoint = -1;
        long committed = -1;
    }

    private final class Entry implements Ticket {
        final PartitionState partition;
        final long offset;
        boolean done;

        Entry(PartitionState partition, long offset) {
            this.partition = partition;
            this.offset = offset;
        }

        @Override
        public void done() {
            synchronized (OffsetTracker.this) {
                done = true;
            }
        }
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    /**
     * Starts tracking a record just polled; records of a partition must be tracked in offset order. A record of a
     * partition that was revoked meanwhile and assigned again starts a fresh state: tickets of the old assignment
     * change nothing any more.
     */
    public synchronized Ticket track(TopicPartition partition, long offset) {
        PartitionState state = partitions.computeIfAbsent(partition, p -> new PartitionState());
        Entry last = state.pending.peekLast();
        if ((last != null && offset <= last.offset) || offset < state.commitPoint) {
            throw new IllegalArgumentException(partition + ": offset " + offset + " tracked out of order");
        }
        Entry entry = new Entry(state, offset);
        state.pending.addLast(entry);
        return entry;
    }

    /** Offsets to commit: for every partition whose commit point moved since the last {@link #committed} call. */
    public synchronized Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        partitions.forEach((partition, state) -> {
            advance(state);
            if (state.commitPoint > state.committed) {
                offsets.put(partition, new OffsetAndMetadata(state.commitPoint));
            }
        });
        return offsets;
    }

    /** Records that these offsets were committed (so they are not offered again). */
    public synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, offset) -> {
            PartitionState state = partitions.get(partition);
            if (state != null) {
                state.committed = Math.max(state.committed, offset.offset());
            }
        });
    }

    /**
     * Forgets revoked partitions, returning what can still be committed for them (the caller commits it before the
     * rebalance completes). Their unfinished records may still finish and publish; that changes nothing here.
     */
    public synchronized Map<TopicPartition, OffsetAndMetadata> revoke(Collection<TopicPartition> revoked) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : revoked) {
            PartitionState state = partitions.remove(partition);
            if (state != null) {
                advance(state);
                if (state.commitPoint > state.committed) {
                    offsets.put(partition, new OffsetAndMetadata(state.commitPoint));
                }
            }
        }
        return offsets;
    }

    /** Forgets partitions lost without a chance to commit (another consumer may own them already). */
    public synchronized void lost(Collection<TopicPartition> lost) {
        lost.forEach(partitions::remove);
    }

    /** Records tracked and not yet finished, over all partitions. */
    public synchronized int unfinished() {
        int count = 0;
        for (PartitionState state : partitions.values()) {
            for (Entry entry : state.pending) {
                if (!entry.done) {
                    count++;
                }
            }
        }
        return count;
    }

    private static void advance(PartitionState state) {
        while (!state.pending.isEmpty() && state.pending.peekFirst().done) {
            state.commitPoint = state.pending.pollFirst().offset + 1;
        }
    }
}
