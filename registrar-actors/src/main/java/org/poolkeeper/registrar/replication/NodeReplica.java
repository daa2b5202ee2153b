package org.poolkeeper.registrar.replication;

import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.ShardAccess;
import org.poolkeeper.replication.ShardReplica;

/**
 * This registrar's replica of the handlespace: one {@link ShardReplica} per shard, each behind its own lock. Every
 * part of the node reaches a shard only through {@link #apply}, which holds that shard's lock for the action:
 * the shard's writer (when this node hosts it), the replication inbox and table server, and every client session
 * resolving a pool of the shard. So resolutions of pools in different shards never wait for each other, and one
 * waits at most for one operation on a pool of its own shard (a registration, a delta, one pool of a table
 * block), never for a whole table or for another shard's work.
 *
 * <p>Thread-safe. Totals over all shards ({@link #elementCount} …) visit every shard's lock in turn: each is
 * consistent per shard, not a snapshot of the node.
 */
public final class NodeReplica implements ShardAccess {
    private final ShardReplica[] shards;
    private final long[] seenChanges;
    /** Per shard, its pool and PE counts as last seen by {@link #apply}; their sums are the node's totals. */
    private final int[] shardPools;
    private final int[] shardElements;
    private final java.util.concurrent.atomic.AtomicInteger totalPools = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger totalElements =
            new java.util.concurrent.atomic.AtomicInteger();
    /** Per shard, where a resolution under the shard's lock selects into. */
    private final PoolElement[][] selections;
    private volatile long lastChangeMillis;

    public NodeReplica(int numberOfShards, HandlespaceConfig config, long seed) {
        this.shards = new ShardReplica[numberOfShards];
        this.seenChanges = new long[numberOfShards];
        this.shardPools = new int[numberOfShards];
        this.shardElements = new int[numberOfShards];
        this.selections = new PoolElement[numberOfShards][];
        for (int s = 0; s < numberOfShards; s++) {
            shards[s] = new ShardReplica(s, numberOfShards, config, seed * 31 + s);
            selections[s] = new PoolElement[config.maxHandleResolutionItems()];
        }
    }

    @Override
    public int numberOfShards() {
        return shards.length;
    }

    @Override
    public <T> T apply(int shard, Function<ShardReplica, T> action) {
        ShardReplica replica = shards[shard];
        synchronized (replica) {
            T result = action.apply(replica);
            long changes = replica.changeCount();
            if (changes != seenChanges[shard]) {
                seenChanges[shard] = changes;
                lastChangeMillis = System.currentTimeMillis();
            }
            int pools = replica.poolCount();
            int elements = replica.elementCount();
            if (pools != shardPools[shard]) {
                totalPools.addAndGet(pools - shardPools[shard]);
                shardPools[shard] = pools;
            }
            if (elements != shardElements[shard]) {
                totalElements.addAndGet(elements - shardElements[shard]);
                shardElements[shard] = elements;
            }
            return result;
        }
    }

    /**
     * Answers a handle resolution from the replica, with the pool's shard locked for the selection only.
     *
     * @param maxItems the request's count; 0 means MaxHResItems; capped at MaxHResItems
     * @param nowMicros the time of the selection (recorded as the selected PEs' last selection)
     */
    public HandleResolutionResponse resolve(long requestId, ByteString wireHandle, PoolHandle handle, int maxItems,
                                            long nowMicros) {
        HandleResolutionResponse.Builder response = HandleResolutionResponse.newBuilder()
                .setRequestId(requestId)
                .setPoolHandle(wireHandle);
        int shard = shardOf(handle);
        return apply(shard, s -> {
            Pool pool = s.pool(handle);
            if (pool == null) {
                return response.setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE).build();
            }
            PoolElement[] selected = selections[shard];
            int n = pool.resolve(maxItems, 0, nowMicros, selected);
            response.setPolicyType(pool.policy().code());
            for (int i = 0; i < n; i++) {
                response.addElements(WireMapping.resolutionEntry(selected[i], pool.policy()));
                selected[i] = null;
            }
            return response.build();
        });
    }

    // ------------------------------------------------------------------ totals

    /** The node's pools as of the last change of each shard: no lock taken (for admission limits). */
    public int poolsNow() {
        return totalPools.get();
    }

    /** The node's PEs as of the last change of each shard: no lock taken (for admission limits). */
    public int elementsNow() {
        return totalElements.get();
    }

    public int elementCount() {
        int n = 0;
        for (int s = 0; s < shards.length; s++) {
            n += apply(s, ShardReplica::elementCount);
        }
        return n;
    }

    public int poolCount() {
        int n = 0;
        for (int s = 0; s < shards.length; s++) {
            n += apply(s, ShardReplica::poolCount);
        }
        return n;
    }

    public long checksum() {
        long sum = 0;
        for (int s = 0; s < shards.length; s++) {
            sum += apply(s, ShardReplica::checksum);
        }
        return sum;
    }

    /** Deltas dropped because they were not the next one of their pool. */
    public long gaps() {
        long sum = 0;
        for (int s = 0; s < shards.length; s++) {
            sum += apply(s, ShardReplica::gaps);
        }
        return sum;
    }

    /** Per home registrar: {checksum, PE count} of the PEs homed there, ascending by registrar id. */
    public Map<Integer, long[]> homeChecksums() {
        Map<Integer, long[]> result = new TreeMap<>(Integer::compareUnsigned);
        for (int s = 0; s < shards.length; s++) {
            apply(s, shard -> {
                for (int home : shard.homeRegistrars()) {
                    long[] sum = result.computeIfAbsent(home, k -> new long[2]);
                    sum[0] += shard.homeChecksum(home);
                    sum[1] += shard.homeElementCount(home);
                }
                return null;
            });
        }
        return result;
    }

    /** When the replica's content last changed (wall clock, ms since the epoch; 0 if never). */
    public long lastChangeMillis() {
        return lastChangeMillis;
    }
}
