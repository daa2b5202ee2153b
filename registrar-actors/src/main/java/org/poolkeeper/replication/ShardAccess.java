package org.poolkeeper.replication;

import java.util.function.Function;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * The shards of one registrar's replica, each reached through {@link #apply}, which gives the action exclusive
 * use of that shard for its duration (the registrar runs it under the shard's lock; a test just calls it). An
 * action must not reach another shard.
 */
public interface ShardAccess {

    /** How many shards the handlespace is split into. */
    int numberOfShards();

    /** Runs {@code action} with exclusive use of shard {@code shard} and returns its result. */
    <T> T apply(int shard, Function<ShardReplica, T> action);

    /** The shard of a pool ({@link Shards#of}). */
    default int shardOf(PoolHandle handle) {
        return Shards.of(handle, numberOfShards());
    }
}
