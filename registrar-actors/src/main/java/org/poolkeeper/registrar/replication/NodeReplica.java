package org.poolkeeper.registrar.replication;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.DumpCursor;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
import org.poolkeeper.protocol.wire.DumpedPool;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.PoolOrder;
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

    /** The most PEs one dump block holds. */
    public static final int MAX_DUMP_ELEMENTS = 500;

    /**
     * Answers one block of a dump (see asap.proto, DumpRequest): each shard's lock held for its part of the block
     * only. A request with invalid values (a pool handle or cursor no registrar would send) gets
     * ERROR_CAUSE_INVALID_VALUES.
     *
     * @param maxPoolHandleLength the longest pool handle this registrar accepts
     * @param maxBytes            about the most bytes the block may take (it may exceed them by one PE entry and
     *                            a pool handle: leave that room below the frame limit)
     */
    public DumpResponse dump(DumpRequest request, int maxPoolHandleLength, int maxBytes, long nowMicros) {
        DumpResponse.Builder response = DumpResponse.newBuilder().setRequestId(request.getRequestId())
                .setNowUs(nowMicros);
        DumpCursor cursor = request.getCursor();
        ByteString only = request.getPoolHandle();
        if (only.size() > maxPoolHandleLength || cursor.getAfterPoolHandle().size() > maxPoolHandleLength
                || Integer.toUnsignedLong(cursor.getShard()) >= shards.length
                || cursor.getAfterPoolHandle().isEmpty() && cursor.getAfterPeId() != 0) {
            return response.setCause(ErrorCause.ERROR_CAUSE_INVALID_VALUES).build();
        }
        int budget = request.getMaxElements() == 0 ? MAX_DUMP_ELEMENTS
                : (int) Math.min(MAX_DUMP_ELEMENTS, Integer.toUnsignedLong(request.getMaxElements()));
        PoolHandle onlyHandle = only.isEmpty() ? null : PoolHandle.of(only.toByteArray());
        int shard = onlyHandle == null ? cursor.getShard() : shardOf(onlyHandle);
        PoolHandle after = cursor.getAfterPoolHandle().isEmpty() ? null
                : PoolHandle.of(cursor.getAfterPoolHandle().toByteArray());
        int afterPe = cursor.getAfterPeId();
        if (onlyHandle != null && !request.hasCursor()
                && apply(shard, s -> s.pool(onlyHandle) == null)) {
            return response.setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE).build();
        }
        DumpBlock block = new DumpBlock(response, budget, maxBytes, onlyHandle != null);
        while (shard < shards.length && !block.full()) {
            PoolHandle from = after;
            int fromPe = afterPe;
            apply(shard, s -> {
                List<PoolHandle> handles = new ArrayList<>();
                if (fromPe != 0 && s.pool(from) != null) {
                    handles.add(from); // the pool the last block ended in goes on
                }
                if (onlyHandle == null) {
                    handles.addAll(s.poolHandlesAfter(from));
                } else if (from == null && s.pool(onlyHandle) != null) {
                    handles.add(onlyHandle);
                }
                for (PoolHandle h : handles) {
                    Pool pool = s.pool(h);
                    PoolOrder order = s.order(h);
                    if (!block.add(pool, order == null ? 0 : order.writer(), h.equals(from) ? fromPe : 0)) {
                        break;
                    }
                }
                return null;
            });
            if (block.full() || onlyHandle != null) {
                break;
            }
            shard++;
            after = null;
            afterPe = 0;
        }
        if (block.endedAt != null) {
            response.setNextCursor(DumpCursor.newBuilder().setShard(shard)
                    .setAfterPoolHandle(WireMapping.poolHandle(block.endedAt)).setAfterPeId(block.endedAtPe));
        }
        return response.build();
    }

    /** One dump block being filled: whole pools while they fit, the first one that does not in part. */
    private static final class DumpBlock {
        private final DumpResponse.Builder response;
        /** A dump of one pool: when its last PE is in, the dump is over. */
        private final boolean single;
        private int elementsLeft;
        private int bytesLeft;
        /** Where the block ended before the end of the shard: the last pool taken and its last PE (0: whole). */
        PoolHandle endedAt;
        int endedAtPe;

        DumpBlock(DumpResponse.Builder response, int elements, int bytes, boolean single) {
            this.response = response;
            this.bytesLeft = bytes;
            this.single = single;
            this.elementsLeft = elements;
        }

        boolean full() {
            return endedAt != null;
        }

        /** Adds the pool's PEs after {@code afterPe} (0: all); false when the block is full. */
        boolean add(Pool pool, int writer, int afterPe) {
            // the block's first PEs in id order, without sorting a large pool for each block: O(n log block)
            java.util.Comparator<PoolElement> byId = (a, b) -> Integer.compareUnsigned(a.id(), b.id());
            java.util.PriorityQueue<PoolElement> lowest = new java.util.PriorityQueue<>(byId.reversed());
            int[] remaining = new int[1];
            pool.forEach(e -> {
                if (afterPe == 0 || Integer.compareUnsigned(e.id(), afterPe) > 0) {
                    remaining[0]++;
                    lowest.add(e);
                    if (lowest.size() > elementsLeft) {
                        lowest.poll();
                    }
                }
            });
            if (afterPe != 0 && remaining[0] == 0) {
                return true; // the rest of the pool went meanwhile
            }
            List<PoolElement> elements = new ArrayList<>(lowest);
            elements.sort(byId);
            ByteString handle = WireMapping.poolHandle(pool.handle());
            DumpedPool.Builder dumped = DumpedPool.newBuilder().setPoolHandle(handle)
                    .setPolicyType(pool.policy().code()).setSize(pool.size()).setWriterRegistrarId(writer);
            bytesLeft -= handle.size() + 24;
            int lastId = 0;
            for (PoolElement e : elements) {
                if (dumped.getElementsCount() > 0 && (elementsLeft == 0 || bytesLeft <= 0)) {
                    break; // (a block takes at least one PE of a pool it lists: the cursor goes past it)
                }
                PoolElementEntry entry = WireMapping.replicationEntry(e.snapshot()).toBuilder()
                        .clearOwnerHashHi().clearOwnerHashLo().build();
                dumped.addElements(entry);
                elementsLeft--;
                bytesLeft -= entry.getSerializedSize() + 4;
                lastId = e.id();
            }
            response.addPools(dumped);
            if (dumped.getElementsCount() < remaining[0]) {
                endedAt = pool.handle(); // the rest of this pool in the next block
                endedAtPe = lastId;
                return false;
            }
            if (!single && (elementsLeft == 0 || bytesLeft <= 0)) {
                endedAt = pool.handle(); // this pool is done; the next block starts after it
                endedAtPe = 0;
                return false;
            }
            return true;
        }
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
