package io.kaption.sink.jobs.shards;

import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lines of one {@code kaption.job-records} partition that are read but not yet written, since the partition was
 * assigned; pure bookkeeping (no I/O), used on the writer thread only.
 *
 * <p>Shard {@code n} of a type holds exactly the seqs {@code [n·N, (n+1)·N)}. The partition is committed only up to
 * the offset of the first line of the oldest shard still buffered ({@link #commitOffset}), so after a restart every
 * unwritten shard is read again from its first line. A line of a shard whose first line was not seen since the
 * assignment therefore belongs to a shard that was written before (its first line lies before the committed offset):
 * it is dropped. A shard whose first line is seen again is simply assembled and written again, byte for byte the same.
 * The topology writes a job's lines in seq order, so a job has at most one open shard per type.
 */
final class PartitionShards {

    private final int shardSize;
    private final Map<String, Map<JobRecordType, TreeMap<Integer, OpenShard>>> jobs = new HashMap<>();
    /** Jobs whose outputs could not be written for good, with the reason: their later records are not written. */
    private final Map<String, String> failedJobs = new HashMap<>();

    PartitionShards(int shardSize) {
        if (shardSize < 1) {
            throw new IllegalArgumentException("shard size must be at least 1, got " + shardSize);
        }
        this.shardSize = shardSize;
    }

    /** What {@link #add} did with a line. */
    sealed interface Added {
        /** Buffered; the shard is not complete yet. */
        record Buffered() implements Added {}

        /** Buffered, and its shard is now complete: write it, then call {@link #written}. */
        record Completed(Shard shard) implements Added {}

        /** Not buffered: its shard was written before, or the seq is buffered already, or the job has failed. */
        record Dropped(String why) implements Added {}
    }

    /** Buffers the line at {@code offset} of this partition. */
    Added add(long offset, JobRecord line) {
        if (line.type() == JobRecordType.END) {
            throw new IllegalArgumentException("not a line: " + line.type());
        }
        if (failedJobs.containsKey(line.jobId())) {
            return new Added.Dropped("the job's outputs could not be written");
        }
        long seq = line.seq();
        int index = Math.toIntExact(seq / shardSize);
        int slot = (int) (seq % shardSize);
        TreeMap<Integer, OpenShard> open = jobs.computeIfAbsent(line.jobId(), id -> new EnumMap<>(JobRecordType.class))
                .computeIfAbsent(line.type(), type -> new TreeMap<>());
        OpenShard shard = open.get(index);
        if (shard == null) {
            if (slot != 0) {
                forgetIfEmpty(line.jobId());
                return new Added.Dropped("its shard was written before the committed offset");
            }
            shard = new OpenShard(index, line.output(), offset, new byte[shardSize][]);
            open.put(index, shard);
        }
        if (shard.lines[slot] != null) {
            return new Added.Dropped("seq " + seq + " is buffered already");
        }
        shard.lines[slot] = ShardFiles.line(line);
        shard.filled++;
        if (shard.filled == shardSize) {
            return new Added.Completed(shard.toShard(line.jobId(), line.type(), shardSize));
        }
        return new Added.Buffered();
    }

    /**
     * The shards a job's end still has to write: its open shards, which must be exactly the last (possibly partial)
     * shard of each type as the end status' counts say. Shards whose first line was not seen since the assignment are
     * not among them: they were written before.
     *
     * @throws IllegalStateException when an open shard is not complete for those counts (lines are missing, or there
     *                               are lines past the counts): the job's lines contradict its end
     */
    List<Shard> lastShards(JobRecord end) {
        if (end.type() != JobRecordType.END) {
            throw new IllegalArgumentException("not an end: " + end.type());
        }
        List<Shard> last = new ArrayList<>();
        Map<JobRecordType, TreeMap<Integer, OpenShard>> byType = jobs.getOrDefault(end.jobId(), Map.of());
        for (JobRecordType type : List.of(JobRecordType.RESULT, JobRecordType.ERROR)) {
            long count = type == JobRecordType.RESULT ? end.status().counts().completed()
                    : end.status().counts().failed();
            for (OpenShard shard : byType.getOrDefault(type, new TreeMap<>()).values()) {
                long expected = Math.min(shardSize, count - (long) shard.index * shardSize);
                if (expected <= 0 || shard.filled != expected || !shard.filledUpTo((int) expected)) {
                    throw new IllegalStateException(ShardFiles.shardName(type, shard.index) + " of " + end.jobId()
                            + " has " + shard.filled + " lines (seqs " + shard.seqs((long) shard.index * shardSize)
                            + "), but the end counts " + count + " " + type.name().toLowerCase() + " lines");
                }
                last.add(shard.toShard(end.jobId(), type, (int) expected));
            }
        }
        return last;
    }

    /** The shard is written: its lines are no longer buffered. */
    void written(Shard shard) {
        Map<JobRecordType, TreeMap<Integer, OpenShard>> byType = jobs.get(shard.jobId());
        if (byType != null && byType.containsKey(shard.type())) {
            byType.get(shard.type()).remove(shard.index());
            forgetIfEmpty(shard.jobId());
        }
    }

    /** The job's end is handled: nothing of it stays buffered. */
    void finished(String jobId) {
        jobs.remove(jobId);
    }

    /** The job's outputs cannot be written: its buffered lines are dropped, and so are its later lines. */
    void failed(String jobId, String reason) {
        jobs.remove(jobId);
        failedJobs.put(jobId, reason);
    }

    /** Why the job's outputs could not be written, or null when they could. */
    String failure(String jobId) {
        return failedJobs.get(jobId);
    }

    /**
     * The offset the partition may be committed at: the first line of the oldest shard still buffered, else
     * {@code position} (the offset after the last record handled).
     */
    long commitOffset(long position) {
        long offset = position;
        for (Map<JobRecordType, TreeMap<Integer, OpenShard>> byType : jobs.values()) {
            for (TreeMap<Integer, OpenShard> open : byType.values()) {
                for (OpenShard shard : open.values()) {
                    offset = Math.min(offset, shard.firstOffset);
                }
            }
        }
        return offset;
    }

    /** Lines buffered, over every job. */
    int bufferedLines() {
        return jobs.values().stream().flatMap(byType -> byType.values().stream())
                .flatMap(open -> open.values().stream()).mapToInt(shard -> shard.filled).sum();
    }

    private void forgetIfEmpty(String jobId) {
        Map<JobRecordType, TreeMap<Integer, OpenShard>> byType = jobs.get(jobId);
        if (byType != null && byType.values().stream().allMatch(TreeMap::isEmpty)) {
            jobs.remove(jobId);
        }
    }

    private static final class OpenShard {
        final int index;
        final String output;
        final long firstOffset;
        final byte[][] lines;
        int filled;

        OpenShard(int index, String output, long firstOffset, byte[][] lines) {
            this.index = index;
            this.output = output;
            this.firstOffset = firstOffset;
            this.lines = lines;
        }

        boolean filledUpTo(int count) {
            for (int i = 0; i < count; i++) {
                if (lines[i] == null) {
                    return false;
                }
            }
            return true;
        }

        String seqs(long base) {
            List<Long> present = new ArrayList<>();
            for (int i = 0; i < lines.length && present.size() < 5; i++) {
                if (lines[i] != null) {
                    present.add(base + i);
                }
            }
            return present + (filled > present.size() ? "…" : "");
        }

        Shard toShard(String jobId, JobRecordType type, int count) {
            return new Shard(jobId, type, index, output, firstOffset, List.copyOf(Arrays.asList(lines).subList(0, count)));
        }
    }
}
