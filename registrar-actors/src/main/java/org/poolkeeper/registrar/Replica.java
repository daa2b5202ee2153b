package org.poolkeeper.registrar;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

/**
 * This node's replica of the handlespace: a {@link Handlespace} fed by {@link Delta}s, from which handle
 * resolutions are answered without an actor hop (resolution-mode = replica). On a single node the deltas come
 * from the local PoolActors (subscribed to the {@link DeltaHub}, applied synchronously, so a PE is resolvable
 * here before its registration is acknowledged); the cluster issue adds the deltas of the other nodes.
 *
 * <p>Deltas are applied strictly in order per pool: a delta of the current epoch must carry the next sequence
 * number; a delta of a newer epoch must be its first (sequence 1). Anything else is a gap: the delta is
 * dropped and the pool counted in {@link #gaps()} (the cluster issue turns that into a resync request).
 *
 * <p>Thread-safe: one lock guards everything. Sessions on any thread resolve; PoolActors apply deltas. Every
 * critical section is short (O(log n) per delta, O(k log n) per resolution of k PEs).
 */
public final class Replica implements Consumer<Delta> {
    private final Handlespace handlespace;
    private final MicrosClock clock;
    /** Per pool with PEs or a live writer: {epoch, last applied sequence}. */
    private final Map<PoolHandle, long[]> order = new HashMap<>();
    private final AtomicLong epochSource = new AtomicLong();
    private final PoolElement[] scratch = new PoolElement[HandlespaceConfig.HANDLE_RESOLUTION_ITEMS_CAP];
    private long gaps;

    public Replica(HandlespaceConfig config, long seed, MicrosClock clock) {
        this.handlespace = new Handlespace(config, seed);
        this.clock = clock;
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
        order.put(handle, new long[] {epoch, 0});
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
    public synchronized void accept(Delta delta) {
        PoolHandle handle = delta.poolHandle();
        long[] state = order.get(handle);
        if (state == null || delta.ownerEpoch() > state[0]) {
            if (delta.sequence() != 1) {
                gaps++;
                return;
            }
            state = new long[] {delta.ownerEpoch(), 0};
            order.put(handle, state);
        } else if (delta.ownerEpoch() < state[0] || delta.sequence() != state[1] + 1) {
            gaps++;
            return;
        }
        state[1] = delta.sequence();
        switch (delta.action()) {
            case ADD, UPDATE -> handlespace.importElement(handle, delta.element());
            case REMOVE -> handlespace.deregister(handle, delta.peId());
        }
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

    /** Forgets the order state of pools that no longer exist here and have no writer (housekeeping). */
    public synchronized void endIncarnation(PoolHandle handle, long epoch) {
        long[] state = order.get(handle);
        if (state != null && state[0] == epoch && handlespace.pool(handle) == null) {
            order.remove(handle);
        }
    }
}
