package io.kaption.sink.jobs.shards;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.schemas.jobs.JobRecord;
import io.kaption.schemas.jobs.JobRecordType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PartitionShardsTest {

    private static final String OUT = "s3://o/p";

    private static String text(Shard shard) {
        return new String(shard.bytes(), UTF_8);
    }

    private static String resultLines(String job, long from, long to) {
        return LongStream.range(from, to).mapToObj(seq -> JobLines.resultLine(job, seq) + "\n")
                .collect(Collectors.joining());
    }

    private static String errorLines(String job, long from, long to) {
        return LongStream.range(from, to).mapToObj(seq -> JobLines.errorLine(job, seq) + "\n")
                .collect(Collectors.joining());
    }

    @Test
    void aShardIsCompleteWithItsLastSeqAndHoldsTheCommitAtItsFirstLineUntilWritten() {
        PartitionShards shards = new PartitionShards(3);
        assertThat(shards.add(10, JobLines.result("a", OUT, 0))).isInstanceOf(PartitionShards.Added.Buffered.class);
        assertThat(shards.add(11, JobLines.result("a", OUT, 1))).isInstanceOf(PartitionShards.Added.Buffered.class);
        assertThat(shards.commitOffset(12)).isEqualTo(10);
        PartitionShards.Added added = shards.add(12, JobLines.result("a", OUT, 2));
        Shard shard = ((PartitionShards.Added.Completed) added).shard();
        assertThat(shard.name()).isEqualTo("results-00000.jsonl");
        assertThat(shard.firstOffset()).isEqualTo(10);
        assertThat(shard.output()).isEqualTo(OUT);
        assertThat(text(shard)).isEqualTo(resultLines("a", 0, 3));
        assertThat(shards.commitOffset(13)).isEqualTo(10); // not yet written
        shards.written(shard);
        assertThat(shards.commitOffset(13)).isEqualTo(13);
        assertThat(shards.bufferedLines()).isZero();

        assertThat(shards.add(13, JobLines.result("a", OUT, 3))).isInstanceOf(PartitionShards.Added.Buffered.class);
        assertThat(shards.commitOffset(14)).isEqualTo(13);
    }

    @Test
    void interleavedJobsAndTypesEachHaveTheirOwnShardsAndTheOldestBufferedLineHoldsTheCommit() {
        PartitionShards shards = new PartitionShards(2);
        shards.add(0, JobLines.result("a", OUT, 0));
        shards.add(1, JobLines.error("b", OUT, 0));
        shards.add(2, JobLines.error("a", OUT, 0));
        shards.add(3, JobLines.result("b", OUT, 0));
        Shard a0 = ((PartitionShards.Added.Completed) shards.add(4, JobLines.result("a", OUT, 1))).shard();
        assertThat(text(a0)).isEqualTo(resultLines("a", 0, 2));
        shards.written(a0);
        assertThat(shards.commitOffset(5)).isEqualTo(1); // b's first error line
        Shard bErrors = ((PartitionShards.Added.Completed) shards.add(5, JobLines.error("b", OUT, 1))).shard();
        assertThat(bErrors.name()).isEqualTo("errors-00000.jsonl");
        assertThat(text(bErrors)).isEqualTo(errorLines("b", 0, 2));
        shards.written(bErrors);
        assertThat(shards.commitOffset(6)).isEqualTo(2); // a's error line
        assertThat(shards.bufferedLines()).isEqualTo(2);

        List<Shard> aLast = shards.lastShards(JobLines.end("a", OUT, 2, 1));
        assertThat(aLast).extracting(Shard::name).containsExactly("errors-00000.jsonl");
        assertThat(text(aLast.get(0))).isEqualTo(errorLines("a", 0, 1));
        aLast.forEach(shards::written);
        shards.finished("a");
        assertThat(shards.commitOffset(7)).isEqualTo(3); // b's result line
        List<Shard> bLast = shards.lastShards(JobLines.end("b", OUT, 1, 2));
        assertThat(bLast).extracting(Shard::name).containsExactly("results-00000.jsonl");
        bLast.forEach(shards::written);
        shards.finished("b");
        assertThat(shards.commitOffset(8)).isEqualTo(8);
    }

    @Test
    void linesOfAShardWhoseFirstLineWasNotSeenAreDroppedAndTheNextShardIsAssembled() {
        PartitionShards shards = new PartitionShards(3);
        // Read again from a committed offset inside shard 0 of "a": shard 0 was written before.
        assertThat(shards.add(7, JobLines.result("a", OUT, 1))).isInstanceOf(PartitionShards.Added.Dropped.class);
        assertThat(shards.add(8, JobLines.result("a", OUT, 2))).isInstanceOf(PartitionShards.Added.Dropped.class);
        assertThat(shards.commitOffset(9)).isEqualTo(9);
        assertThat(shards.add(9, JobLines.result("a", OUT, 3))).isInstanceOf(PartitionShards.Added.Buffered.class);
        shards.add(10, JobLines.result("a", OUT, 4));
        Shard shard = ((PartitionShards.Added.Completed) shards.add(11, JobLines.result("a", OUT, 5))).shard();
        assertThat(shard.name()).isEqualTo("results-00001.jsonl");
        assertThat(text(shard)).isEqualTo(resultLines("a", 3, 6));
    }

    @Test
    void aPartialLastShardWhoseFirstLineWasNotSeenIsNotWrittenAgainOnAReplayedEnd() {
        PartitionShards shards = new PartitionShards(3);
        shards.add(20, JobLines.result("a", OUT, 4)); // shard 1 = seqs 3..4, first line before the committed offset
        assertThat(shards.lastShards(JobLines.end("a", OUT, 5, 0))).isEmpty();
        assertThat(shards.bufferedLines()).isZero();
    }

    @Test
    void anEndWithCountsThatAreAMultipleOfTheShardSizeHasNoPartialShard() {
        PartitionShards shards = new PartitionShards(2);
        shards.add(0, JobLines.result("a", OUT, 0));
        shards.written(((PartitionShards.Added.Completed) shards.add(1, JobLines.result("a", OUT, 1))).shard());
        assertThat(shards.lastShards(JobLines.end("a", OUT, 2, 0))).isEmpty();
        assertThat(shards.lastShards(JobLines.end("empty", OUT, 0, 0))).isEmpty();
    }

    @Test
    void anEndThatContradictsTheBufferedLinesIsRefused() {
        PartitionShards missing = new PartitionShards(4);
        missing.add(0, JobLines.result("a", OUT, 4));
        missing.add(1, JobLines.result("a", OUT, 0));
        missing.add(2, JobLines.result("a", OUT, 2)); // seq 1 never came
        assertThatThrownBy(() -> missing.lastShards(JobLines.end("a", OUT, 3, 0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("results-00000.jsonl of a has 2 lines (seqs [0, 2])");

        PartitionShards beyond = new PartitionShards(4);
        beyond.add(0, JobLines.error("a", OUT, 0));
        beyond.add(1, JobLines.error("a", OUT, 1));
        assertThatThrownBy(() -> beyond.lastShards(JobLines.end("a", OUT, 0, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the end counts 1 error lines");

        PartitionShards pastTheLastShard = new PartitionShards(2);
        pastTheLastShard.add(0, JobLines.result("a", OUT, 2));
        assertThatThrownBy(() -> pastTheLastShard.lastShards(JobLines.end("a", OUT, 2, 0)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSeqBufferedTwiceIsKeptOnce() {
        PartitionShards shards = new PartitionShards(2);
        shards.add(0, JobLines.result("a", OUT, 0));
        assertThat(shards.add(1, JobLines.result("a", OUT, 0))).isInstanceOf(PartitionShards.Added.Dropped.class);
        assertThat(shards.bufferedLines()).isEqualTo(1);
        assertThat(shards.commitOffset(2)).isZero();
    }

    @Test
    void aFailedJobReleasesItsLinesAndDropsItsLaterOnes() {
        PartitionShards shards = new PartitionShards(2);
        shards.add(0, JobLines.result("a", OUT, 0));
        shards.add(1, JobLines.result("b", OUT, 0));
        shards.failed("a", "NoSuchBucket");
        assertThat(shards.failure("a")).isEqualTo("NoSuchBucket");
        assertThat(shards.failure("b")).isNull();
        assertThat(shards.commitOffset(2)).isEqualTo(1);
        assertThat(shards.add(2, JobLines.result("a", OUT, 2))).isInstanceOf(PartitionShards.Added.Dropped.class);
        assertThat(shards.bufferedLines()).isEqualTo(1);
    }

    /**
     * Several jobs interleaved in one partition, read by writers that crash at random points after having committed
     * at random earlier batch boundaries; each new writer starts from the last committed offset. Whatever the crash
     * points, every seq of every job ends up in exactly one shard of the right name, every rewrite of a shard has the
     * same bytes, and no other shard is ever written.
     */
    @Test
    void writersCrashingAnywhereWriteEverySeqExactlyOnceWithIdenticalRewrites() {
        for (int seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            int shardSize = 1 + random.nextInt(4);
            List<JobRecord> partition = interleavedJobs(random);
            Map<String, byte[]> store = new HashMap<>();
            Map<String, Integer> manifests = new HashMap<>();
            long committed = 0;
            int runs = 0;
            while (committed < partition.size()) {
                boolean last = ++runs > 6;
                committed = runUntilCrash(partition, committed, shardSize, random, last, store, manifests);
            }
            Map<String, String> expected = expectedShards(partition, shardSize);
            assertThat(store.keySet()).as("seed %d", seed).containsExactlyInAnyOrderElementsOf(expected.keySet());
            for (Map.Entry<String, String> shard : expected.entrySet()) {
                assertThat(new String(store.get(shard.getKey()), UTF_8)).as("seed %d %s", seed, shard.getKey())
                        .isEqualTo(shard.getValue());
            }
            long jobs = partition.stream().filter(r -> r.type() == JobRecordType.END).count();
            assertThat(manifests).as("seed %d", seed).hasSize((int) jobs);
        }
    }

    /** One writer from {@code committed}; returns the offset it committed last before it crashed (or finished). */
    private static long runUntilCrash(List<JobRecord> partition, long committed, int shardSize, Random random,
                                      boolean noCrash, Map<String, byte[]> store, Map<String, Integer> manifests) {
        PartitionShards shards = new PartitionShards(shardSize);
        long crashAt = noCrash ? Long.MAX_VALUE : committed + random.nextInt(partition.size() + 1);
        long lastCommit = committed;
        for (long offset = committed; offset < partition.size() && offset < crashAt; offset++) {
            JobRecord record = partition.get((int) offset);
            if (record.type() == JobRecordType.END) {
                for (Shard shard : shards.lastShards(record)) {
                    put(store, shard);
                    shards.written(shard);
                }
                manifests.merge(record.jobId(), 1, Integer::sum);
                shards.finished(record.jobId());
            } else if (shards.add(offset, record) instanceof PartitionShards.Added.Completed completed) {
                put(store, completed.shard());
                shards.written(completed.shard());
            }
            if (random.nextInt(3) == 0) { // the end of a polled batch: commit
                lastCommit = shards.commitOffset(offset + 1);
                assertThat(lastCommit).isGreaterThanOrEqualTo(committed);
            }
        }
        if (noCrash) {
            assertThat(shards.bufferedLines()).isZero();
            return shards.commitOffset(partition.size());
        }
        return lastCommit;
    }

    private static void put(Map<String, byte[]> store, Shard shard) {
        String key = shard.jobId() + "/" + shard.name();
        byte[] bytes = shard.bytes();
        byte[] before = store.putIfAbsent(key, bytes);
        if (before != null) {
            assertThat(new String(bytes, UTF_8)).as("rewrite of %s", key).isEqualTo(new String(before, UTF_8));
        }
    }

    /** 1 to 4 jobs, each 0 to 20 results and 0 to 12 errors, interleaved at random, each job's end after its lines. */
    private static List<JobRecord> interleavedJobs(Random random) {
        int jobCount = 1 + random.nextInt(4);
        List<List<JobRecord>> perJob = new ArrayList<>();
        for (int j = 0; j < jobCount; j++) {
            String job = "job-" + j;
            int results = random.nextInt(21);
            int errors = random.nextInt(13);
            List<JobRecord> lines = new ArrayList<>();
            int r = 0;
            int e = 0;
            while (r < results || e < errors) {
                if (e >= errors || r < results && random.nextBoolean()) {
                    lines.add(JobLines.result(job, OUT, r++));
                } else {
                    lines.add(JobLines.error(job, OUT, e++));
                }
            }
            lines.add(JobLines.end(job, OUT, results, errors));
            perJob.add(lines);
        }
        List<JobRecord> partition = new ArrayList<>();
        int[] next = new int[jobCount];
        while (partition.size() < perJob.stream().mapToInt(List::size).sum()) {
            int j = random.nextInt(jobCount);
            if (next[j] < perJob.get(j).size()) {
                partition.add(perJob.get(j).get(next[j]++));
            }
        }
        return partition;
    }

    private static Map<String, String> expectedShards(List<JobRecord> partition, int shardSize) {
        Map<String, String> expected = new LinkedHashMap<>();
        for (JobRecord end : partition) {
            if (end.type() != JobRecordType.END) {
                continue;
            }
            long results = end.status().counts().completed();
            long errors = end.status().counts().failed();
            for (long from = 0; from < results; from += shardSize) {
                expected.put(end.jobId() + "/" + ShardFiles.shardName(JobRecordType.RESULT, (int) (from / shardSize)),
                        resultLines(end.jobId(), from, Math.min(results, from + shardSize)));
            }
            for (long from = 0; from < errors; from += shardSize) {
                expected.put(end.jobId() + "/" + ShardFiles.shardName(JobRecordType.ERROR, (int) (from / shardSize)),
                        errorLines(end.jobId(), from, Math.min(errors, from + shardSize)));
            }
        }
        return expected;
    }
}
