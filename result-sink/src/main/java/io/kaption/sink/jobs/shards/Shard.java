package io.kaption.sink.jobs.shards;

import io.kaption.schemas.jobs.JobRecordType;
import java.util.List;

/**
 * A complete shard, ready to be written: the lines of seqs {@code [index × size, index × size + lines.size())} of one
 * type of one job, in seq order.
 *
 * @param output      the job's output prefix, as its records carry it
 * @param firstOffset offset of the record of the shard's first line: its partition may be committed up to there
 *                    until the shard is written
 */
record Shard(String jobId, JobRecordType type, int index, String output, long firstOffset, List<byte[]> lines) {

    String name() {
        return ShardFiles.shardName(type, index);
    }

    byte[] bytes() {
        return ShardFiles.shard(lines);
    }
}
