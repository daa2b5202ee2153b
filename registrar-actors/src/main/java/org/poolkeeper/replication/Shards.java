package org.poolkeeper.replication;

import org.poolkeeper.handlespace.PoolHandle;

/**
 * The one mapping of a pool handle to its shard, used by the shard writers' placement (Cluster Sharding's shard
 * and entity id), by the replica's stripes, tables and audits. It must be equal on every registrar of a
 * cluster: it depends only on the handle's bytes (their {@link PoolHandle#hash64()}) and the number of shards.
 */
public final class Shards {
    private Shards() {
    }

    /**
     * The shard of {@code handle}, 0 ≤ shard &lt; {@code numberOfShards}.
     *
     * @throws IllegalArgumentException if {@code numberOfShards} is not positive
     */
    public static int of(PoolHandle handle, int numberOfShards) {
        if (numberOfShards < 1) {
            throw new IllegalArgumentException("numberOfShards must be positive: " + numberOfShards);
        }
        // the upper bits: the checksum contribution mixes hash64 with the PE id, this stays independent of it
        return (int) Long.remainderUnsigned(Long.rotateLeft(handle.hash64(), 17), numberOfShards);
    }
}
