package org.poolkeeper.registrar;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.PoolEntries;

/**
 * This node's replica of the handlespace: a {@link Handlespace} fed by {@link Delta}s, from which handle
 * resolutions are answered without an actor hop (resolution-mode = replica). On a single node the deltas come
 * from the local PoolActors (subscribed to the {@link DeltaHub}, applied synchronously, so a PE is resolvable
 * here before its registration is acknowledged); the {@link Replicator} adds the deltas of the other nodes.
 *
 * <p>Deltas are applied strictly in order per pool: a delta of the current epoch must carry the next sequence
 * number; a delta of a newer epoch must be its first (sequence 1). Anything else is a gap: the delta is
 * dropped and the pool counted in {@link #gaps()}; {@link #applyDelta} reports it, and the {@link Replicator}
 * pulls the pool's table from its writer ({@link #exportTable}, {@link #nextBlock}, {@link #applyPool},
 * {@link #sweep}: mark and sweep). A delta of an
 * older epoch, or one already applied, is stale and ignored. Per pool the replica also records its last writer
 * (registrar id), which scopes tables, per-shard audit checksums and takeover.
 *
 * <p>Thread-safe: one lock guards everything. Sessions on any thread resolve; PoolActors apply deltas. Every
 * critical section is short (O(log n) per delta, O(k log n) per resolution of k PEs).
 */
public final class Replica implements Consumer<Delta> {
    private final Handlespace handlespace;
    private final MicrosClock clock;
    /** Per pool with PEs or a live writer: {epoch, last applied sequence, writer registrar id}. */
    private final Map<PoolHandle, long[]> order = new HashMap<>();
    private final AtomicLong epochSource = new AtomicLong();
    private final PoolElement[] scratch = new PoolElement[HandlespaceConfig.HANDLE_RESOLUTION_ITEMS_CAP];
    private long gaps;
    /** Wall-clock time of the last change of the replica's content (ms since the epoch), for status reports. */
    private long lastChangeMillis;

    private int localWriterId;

    public Replica(HandlespaceConfig config, long seed, MicrosClock clock) {
        this.handlespace = new Handlespace(config, seed);
        this.clock = clock;
    }

    /** The registrar id recorded as writer of the pools whose incarnations begin here. */
    public synchronized void localWriterId(int registrarId) {
        this.localWriterId = registrarId;
    }

    /**
     * Starts a new writer incarnation for a pool: returns an epoch greater than any this replica has seen for it
     * (and than any this node handed out before), and expects sequence 1 next.
     */
    public synchronized long beginIncarnation(PoolHandle handle) {
        long[] state = order.get(handle);
        long seen = state == null ? 0 : state[0];
        long issued = epochSource.updateAndGet(last -> Math.max(last + 1, clock.nowMicros()));
        long epoch = Math.max(seen + 1, issued);
        order.put(handle, new long[] {epoch, 0, localWriterId});
        return epoch;
    }

    /** The PEs this replica holds for a pool, detached (what a new writer incarnation starts from). */
    public synchronized List<ElementSnapshot> snapshots(PoolHandle handle) {
        Pool pool = handlespace.pool(handle);
        if (pool == null) {
            return List.of();
        }
        List<ElementSnapshot> list = new ArrayList<>(pool.size());
        pool.forEach(e -> list.add(e.snapshot()));
        return list;
    }

    /** Applies one delta, if it is the next one of its pool. */
    @Override
    public void accept(Delta delta) {
        applyDelta(delta);
    }

    /** What {@link #applyDelta} did with a delta. */
    public enum Applied {
        /** Applied, the next one of its epoch. */
        APPLIED,
        /** Applied, the first of a newer writer epoch: the writer may have started from other state. */
        NEW_EPOCH,
        /** Already applied (an older sequence or epoch): ignored. */
        STALE,
        /** Not the next one: dropped; the pool needs a resync from its writer. */
        GAP
    }

    /** Applies one delta, if it is the next one of its pool, and says what happened. */
    public synchronized Applied applyDelta(Delta delta) {
        PoolHandle handle = delta.poolHandle();
        long[] state = order.get(handle);
        Applied result = Applied.APPLIED;
        if (state == null || delta.ownerEpoch() > state[0]) {
            if (delta.sequence() != 1) {
                gaps++;
                return Applied.GAP;
            }
            result = state == null ? Applied.APPLIED : Applied.NEW_EPOCH;
            state = new long[] {delta.ownerEpoch(), 0, delta.writerRegistrarId()};
            order.put(handle, state);
        } else if (delta.ownerEpoch() < state[0] || delta.sequence() <= state[1]) {
            return Applied.STALE;
        } else if (delta.sequence() != state[1] + 1) {
            gaps++;
            return Applied.GAP;
        }
        state[1] = delta.sequence();
        state[2] = delta.writerRegistrarId();
        switch (delta.action()) {
            case ADD, UPDATE -> handlespace.importElement(handle, delta.element());
            case REMOVE -> handlespace.deregister(handle, delta.peId());
        }
        lastChangeMillis = System.currentTimeMillis();
        return result;
    }

    // ------------------------------------------------------------------ cluster: tables, audits, takeover

    /** The shard of a pool, as Cluster Sharding's HashCodeMessageExtractor computes it. */
    public static int shardOf(PoolHandle handle, int numberOfShards) {
        return Math.abs(PoolActor.entityId(handle).hashCode() % numberOfShards);
    }

    /** The registrar id of a pool's last known writer, 0 if unknown. */
    public synchronized int writerOf(PoolHandle handle) {
        long[] state = order.get(handle);
        return state == null ? 0 : (int) state[2];
    }

    /**
     * Where a block-wise export of the pools one writer writes stands ({@link #exportTable}, {@link #nextBlock}).
     * The list of pools is fixed when the export starts; each pool's state is taken when its block is built (so
     * a receiver that applies every block as it arrives, between the deltas that reach it in the same order,
     * stays consistent), except that a pool larger than a block is snapshotted once and sent in parts.
     */
    public static final class TableExport {
        private final int writerId;
        private final List<PoolHandle> handles;
        private int next;
        /** The pool being sent in parts: its header and the entries not sent yet. */
        private PoolEntries header;
        private List<PoolElementEntry> rest;
        private int restOffset;

        private TableExport(int writerId, List<PoolHandle> handles) {
            this.writerId = writerId;
            this.handles = handles;
        }

        /** Whether another block follows. */
        public boolean hasMore() {
            return rest != null || next < handles.size();
        }
    }

    /**
     * Starts an export of the pools written by {@code writerId} (restricted to {@code shards} when not empty, or
     * to {@code handles} when not empty), in pool handle order.
     */
    public synchronized TableExport exportTable(int writerId, Set<Integer> shards, Set<PoolHandle> handles,
                                                int numberOfShards) {
        List<PoolHandle> list = new ArrayList<>();
        for (Map.Entry<PoolHandle, long[]> entry : order.entrySet()) {
            PoolHandle handle = entry.getKey();
            if (inScope(handle, entry.getValue(), writerId, shards, handles, numberOfShards)) {
                list.add(handle);
            }
        }
        list.sort(null);
        return new TableExport(writerId, list);
    }

    private static boolean inScope(PoolHandle handle, long[] state, int writerId, Set<Integer> shards,
                                   Set<PoolHandle> handles, int numberOfShards) {
        return (int) state[2] == writerId && (handles.isEmpty() || handles.contains(handle))
                && (shards.isEmpty() || shards.contains(shardOf(handle, numberOfShards)));
    }

    /**
     * The next block of an export: whole pools (with their order state and full PE state, as they are now)
     * holding at most {@code maxElementsPerBlock} PEs plus pools, or a part of a pool larger than that. A pool
     * that no longer exists here or changed writer since the export started is left out.
     */
    public synchronized List<PoolEntries> nextBlock(TableExport export, int maxElementsPerBlock) {
        List<PoolEntries> block = new ArrayList<>();
        int budget = Math.max(2, maxElementsPerBlock);
        while (budget > 0) {
            if (export.rest != null) {
                int n = Math.min(budget, export.rest.size() - export.restOffset);
                PoolEntries.Builder part = export.header.toBuilder()
                        .addAllElements(export.rest.subList(export.restOffset, export.restOffset + n));
                export.restOffset += n;
                budget -= n;
                boolean continued = export.restOffset < export.rest.size();
                block.add(part.setContinued(continued).build());
                if (!continued) {
                    export.rest = null;
                    export.header = null;
                }
                continue;
            }
            if (export.next >= export.handles.size()) {
                break;
            }
            PoolHandle handle = export.handles.get(export.next);
            long[] state = order.get(handle);
            if (state == null || (int) state[2] != export.writerId) {
                export.next++;
                continue;
            }
            Pool pool = handlespace.pool(handle);
            int size = pool == null ? 0 : pool.size();
            if (size + 1 > budget && !block.isEmpty()) {
                break; // the pool starts the next block
            }
            export.next++;
            PoolEntries.Builder b = PoolEntries.newBuilder().setPoolHandle(WireMapping.poolHandle(handle))
                    .setOwnerEpoch(state[0]).setLastSequence(state[1]);
            if (pool != null) {
                b.setPolicyType(pool.policy().code());
            }
            if (size + 1 <= budget) {
                if (pool != null) {
                    pool.forEach(e -> b.addElements(WireMapping.replicationEntry(e, pool.policy())));
                }
                block.add(b.build());
                budget -= size + 1;
            } else {
                // larger than a block: one snapshot, sent in parts by the branch above
                List<PoolElementEntry> entries = new ArrayList<>(size);
                pool.forEach(e -> entries.add(WireMapping.replicationEntry(e, pool.policy())));
                export.header = b.build();
                export.rest = entries;
                export.restOffset = 0;
                budget--;
            }
        }
        return block;
    }

    /**
     * Makes one pool exactly what its writer's table says (mark and sweep within the pool; the parts of a pool
     * sent in several blocks merged first), unless this replica knows a newer epoch of it.
     *
     * @return the number of PEs added, changed or removed
     */
    public synchronized int applyPool(int writerId, PoolEntries entries) {
        PoolHandle handle = WireMapping.poolHandle(entries.getPoolHandle());
        long[] state = order.get(handle);
        if (state != null && state[0] > entries.getOwnerEpoch()) {
            return 0;
        }
        int changes = 0;
        Map<Integer, ElementSnapshot> wanted = new HashMap<>();
        for (PoolElementEntry e : entries.getElementsList()) {
            wanted.put(e.getPeId(), WireMapping.snapshot(e));
        }
        Pool pool = handlespace.pool(handle);
        if (pool != null) {
            List<Integer> extra = new ArrayList<>();
            pool.forEach(e -> {
                if (!wanted.containsKey(e.id())) {
                    extra.add(e.id());
                }
            });
            for (int id : extra) {
                handlespace.deregister(handle, id);
                changes++;
            }
        }
        for (ElementSnapshot snapshot : wanted.values()) {
            Pool p = handlespace.pool(handle);
            PoolElement existing = p == null ? null : p.find(snapshot.id());
            if (existing == null || !existing.snapshot().equals(snapshot)) {
                handlespace.importElement(handle, snapshot);
                changes++;
            }
        }
        order.put(handle, new long[] {entries.getOwnerEpoch(), entries.getLastSequence(), writerId});
        if (changes > 0) {
            lastChangeMillis = System.currentTimeMillis();
        }
        return changes;
    }

    /**
     * The sweep after a table: removes the pools of {@code writerId} within the scope ({@code shards},
     * {@code handles}, or everything when both are empty) that the table did not list, except those in
     * {@code keep} (pools whose deltas arrived during the pull: the writer created them after the export began).
     *
     * @return the number of PEs removed
     */
    public synchronized int sweep(int writerId, Set<PoolHandle> listed, Set<PoolHandle> keep, Set<Integer> shards,
                                  Set<PoolHandle> handles, int numberOfShards) {
        List<PoolHandle> sweep = new ArrayList<>();
        for (Map.Entry<PoolHandle, long[]> entry : order.entrySet()) {
            PoolHandle handle = entry.getKey();
            if (!listed.contains(handle) && !keep.contains(handle)
                    && inScope(handle, entry.getValue(), writerId, shards, handles, numberOfShards)) {
                sweep.add(handle);
            }
        }
        int changes = 0;
        for (PoolHandle handle : sweep) {
            Pool pool = handlespace.pool(handle);
            if (pool != null) {
                List<Integer> ids = new ArrayList<>();
                pool.forEach(e -> ids.add(e.id()));
                for (int id : ids) {
                    handlespace.deregister(handle, id);
                    changes++;
                }
            }
            order.remove(handle);
        }
        if (changes > 0) {
            lastChangeMillis = System.currentTimeMillis();
        }
        return changes;
    }

    /** Per shard: {checksum, element count} over the pools {@code writerId} writes. */
    public synchronized Map<Integer, long[]> shardChecksums(int writerId, int numberOfShards) {
        Map<Integer, long[]> result = new TreeMap<>();
        for (Map.Entry<PoolHandle, long[]> entry : order.entrySet()) {
            if ((int) entry.getValue()[2] != writerId) {
                continue;
            }
            long[] sum = result.computeIfAbsent(shardOf(entry.getKey(), numberOfShards), k -> new long[2]);
            Pool pool = handlespace.pool(entry.getKey());
            if (pool != null) {
                sum[0] += pool.checksum();
                sum[1] += pool.size();
            }
        }
        return result;
    }

    /** The pools written by {@code writerId} that hold PEs homed at {@code ownerId}. */
    public synchronized Set<PoolHandle> poolsWithOwner(int ownerId, int writerId) {
        Set<PoolHandle> result = new HashSet<>();
        for (Pool pool : handlespace.pools()) {
            long[] state = order.get(pool.handle());
            if (state == null || (int) state[2] != writerId) {
                continue;
            }
            pool.forEach(e -> {
                if (e.homeRegistrarId() == ownerId) {
                    result.add(pool.handle());
                }
            });
        }
        return result;
    }

    /** Per home registrar: {checksum, element count}. */
    public synchronized Map<Integer, long[]> ownerChecksums() {
        Map<Integer, long[]> result = new TreeMap<>();
        for (int owner : handlespace.ownerIds()) {
            result.put(owner, new long[] {handlespace.ownerChecksum(owner), handlespace.ownerElementCount(owner)});
        }
        return result;
    }

    /** Test hook: removes one PE of a pool another node writes, without a delta (a corrupted replica). */
    public synchronized boolean corruptForTest() {
        for (Pool pool : handlespace.pools()) {
            long[] state = order.get(pool.handle());
            if (state != null && (int) state[2] == localWriterId) {
                continue; // this node writes the pool: its replica is the truth the others audit against
            }
            PoolElement[] first = new PoolElement[1];
            pool.forEach(e -> {
                if (first[0] == null) {
                    first[0] = e;
                }
            });
            if (first[0] != null) {
                handlespace.deregister(pool.handle(), first[0].id());
                return true;
            }
        }
        return false;
    }

    /**
     * Answers a handle resolution from the replica.
     *
     * @param maxItems the request's count; 0 means MaxHResItems; capped at MaxHResItems
     */
    public HandleResolutionResponse resolve(long requestId, ByteString wireHandle, PoolHandle handle, int maxItems) {
        HandleResolutionResponse.Builder response = HandleResolutionResponse.newBuilder()
                .setRequestId(requestId)
                .setPoolHandle(wireHandle);
        synchronized (this) {
            Pool pool = handlespace.pool(handle);
            if (pool == null) {
                return response.setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE).build();
            }
            int n = pool.resolve(maxItems, 0, clock.nowMicros(), scratch);
            response.setPolicyType(pool.policy().code());
            for (int i = 0; i < n; i++) {
                response.addElements(WireMapping.resolutionEntry(scratch[i], pool.policy()));
                scratch[i] = null;
            }
        }
        return response.build();
    }

    /** Whether the replica holds this PE. */
    public synchronized boolean contains(PoolHandle handle, int peId) {
        return handlespace.find(handle, peId) != null;
    }

    public synchronized int elementCount() {
        return handlespace.elementCount();
    }

    public synchronized int poolCount() {
        return handlespace.poolCount();
    }

    public synchronized long checksum() {
        return handlespace.checksum();
    }

    /** Deltas dropped because they were out of order. */
    public synchronized long gaps() {
        return gaps;
    }

    /** When the replica's content last changed (wall clock, ms since the epoch; 0 if never). */
    public synchronized long lastChangeMillis() {
        return lastChangeMillis;
    }

    /** Whether a writer incarnation of this pool is live or the pool still holds PEs here. */
    public synchronized boolean tracks(PoolHandle handle) {
        return order.containsKey(handle);
    }

    /** Forgets the order state of pools that no longer exist here and have no writer (housekeeping). */
    public synchronized void endIncarnation(PoolHandle handle, long epoch) {
        long[] state = order.get(handle);
        if (state != null && state[0] == epoch && handlespace.pool(handle) == null) {
            order.remove(handle);
        }
    }
}
