package org.poolkeeper.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * One table pull in progress on the receiving side ({@link ReplicaSync}): the pools of one writer (all, some
 * shards, or some pools) arrive block by block and each pool is applied as it arrives. The pull notes which pools
 * the table listed and which of the writer's pools got a delta meanwhile; at the end it sweeps the writer's pools
 * in scope that are neither (the writer no longer has them). A pool sent in parts is merged first; the deltas of
 * that pool that arrive between its parts are held back and applied after it. So are deltas that do not apply in
 * order (gaps) to a pool whose state the table has yet to bring, up to a bound: table blocks and deltas travel
 * separately, so a delta may overtake the block it follows.
 *
 * <p>Not thread-safe: driven by its {@link ReplicaSync}.
 */
public final class TablePull {
    private final long id;
    private final int writer;
    private final Set<Integer> shards;
    private final Set<PoolHandle> handles;
    private final int numberOfShards;
    private final long startedNanos;
    private final Set<PoolHandle> listed = new HashSet<>();
    private final Set<PoolHandle> touched = new HashSet<>();
    /** Deltas held back: of the pool being received in parts, or gaps of pools whose state is still to come. */
    private final Map<PoolHandle, List<Delta>> held = new HashMap<>();
    private int heldCount;
    private final int maxHeld;
    private PoolPart partial;
    private List<ElementSnapshot> partialElements;
    private long progressNanos;
    private int blocks;
    private long changes;

    TablePull(long id, int writer, Set<Integer> shards, Set<PoolHandle> handles, int numberOfShards, int maxHeld,
              long nowNanos) {
        this.id = id;
        this.maxHeld = maxHeld;
        this.writer = writer;
        this.shards = Set.copyOf(shards);
        this.handles = Set.copyOf(handles);
        this.numberOfShards = numberOfShards;
        this.startedNanos = nowNanos;
        this.progressNanos = nowNanos;
    }

    public long id() {
        return id;
    }

    /** The registrar whose table this is. */
    public int writer() {
        return writer;
    }

    /** The shards asked for; empty: every shard (unless {@link #handles()} restricts it). */
    public Set<Integer> shards() {
        return shards;
    }

    /** The pools asked for; empty: every pool of the shards. */
    public Set<PoolHandle> handles() {
        return handles;
    }

    /** Whether this pull asks for the writer's whole table. */
    public boolean isWholeTable() {
        return shards.isEmpty() && handles.isEmpty();
    }

    public int blocks() {
        return blocks;
    }

    /** PEs added, changed or removed by the pull so far. */
    public long changes() {
        return changes;
    }

    public int poolsListed() {
        return listed.size();
    }

    public long startedNanos() {
        return startedNanos;
    }

    /** When a block last arrived (or the pull started). */
    public long progressNanos() {
        return progressNanos;
    }

    boolean covers(PoolHandle handle) {
        return (handles.isEmpty() || handles.contains(handle))
                && (shards.isEmpty() || shards.contains(Shards.of(handle, numberOfShards)));
    }

    /**
     * A delta that arrived while this pull runs: held back if its pool is being received in parts; noted as alive
     * if it is one of the writer's pools in scope.
     *
     * @return true if held back (the caller must not apply it)
     */
    boolean offer(Delta delta) {
        if (partial != null && delta.poolHandle().equals(partial.handle())) {
            hold(delta);
            return true;
        }
        if (delta.writer() == writer && covers(delta.poolHandle())) {
            touched.add(delta.poolHandle());
        }
        return false;
    }

    /**
     * A delta that did not apply in order: held back if its pool's state is still to come in this table.
     *
     * @return true if held back
     */
    boolean holdGap(Delta delta) {
        if (heldCount >= maxHeld || listed.contains(delta.poolHandle()) || !covers(delta.poolHandle())) {
            return false;
        }
        hold(delta);
        return true;
    }

    private void hold(Delta delta) {
        held.computeIfAbsent(delta.poolHandle(), k -> new ArrayList<>()).add(delta);
        heldCount++;
    }

    /**
     * Applies one block.
     *
     * @param resync receives the pools whose held deltas did not apply in order (they need another pull)
     * @throws IllegalArgumentException for a pool outside the pull's scope or a part that continues nothing
     */
    void accept(List<PoolPart> block, ShardAccess access, long nowNanos, Set<PoolHandle> resync) {
        blocks++;
        progressNanos = nowNanos;
        for (PoolPart part : block) {
            if (!covers(part.handle())) {
                throw new IllegalArgumentException("table of " + Integer.toHexString(writer) + " lists "
                        + part.handle() + ", which was not asked for");
            }
            listed.add(part.handle());
            if (partial != null) {
                if (!partial.isContinuedBy(part)) {
                    // the rest of the pool never came (a lost block): its held deltas go through the normal path
                    abandonPartial(access, resync);
                } else {
                    partialElements.addAll(part.elements());
                    if (part.continued()) {
                        continue;
                    }
                    PoolPart whole = new PoolPart(partial.handle(), partial.policy(), partial.order(),
                            partialElements, false);
                    partial = null;
                    partialElements = null;
                    applyPool(whole, access, resync);
                    continue;
                }
            }
            if (part.continued()) {
                partial = part;
                partialElements = new ArrayList<>(part.elements());
            } else {
                applyPool(part, access, resync);
            }
        }
    }

    private void applyPool(PoolPart state, ShardAccess access, Set<PoolHandle> resync) {
        changes += access.apply(access.shardOf(state.handle()), s -> s.applyPool(state));
        replay(held.remove(state.handle()), access, resync);
    }

    private void replay(List<Delta> deltas, ShardAccess access, Set<PoolHandle> resync) {
        if (deltas == null) {
            return;
        }
        heldCount -= deltas.size();
        for (Delta d : deltas) {
            if (access.apply(access.shardOf(d.poolHandle()), s -> s.apply(d)) == Admission.GAP) {
                resync.add(d.poolHandle());
            }
        }
    }

    private void replayAll(ShardAccess access, Set<PoolHandle> resync) {
        for (List<Delta> deltas : held.values()) {
            replay(deltas, access, resync);
        }
        held.clear();
    }

    private void abandonPartial(ShardAccess access, Set<PoolHandle> resync) {
        resync.add(partial.handle());
        PoolHandle handle = partial.handle();
        partial = null;
        partialElements = null;
        replay(held.remove(handle), access, resync);
    }

    /**
     * The end of the table: sweeps the writer's pools in scope that the table did not list and that got no delta
     * during the pull.
     *
     * @return the number of PEs swept
     */
    int finish(ShardAccess access, Set<PoolHandle> resync) {
        if (partial != null) {
            abandonPartial(access, resync);
        }
        replayAll(access, resync);
        int swept = 0;
        if (!handles.isEmpty()) {
            for (PoolHandle h : handles) {
                if (!listed.contains(h) && !touched.contains(h) && covers(h)) {
                    swept += access.apply(access.shardOf(h), shard -> shard.removePool(writer, h));
                }
            }
        } else {
            for (int s = 0; s < access.numberOfShards(); s++) {
                if (shards.isEmpty() || shards.contains(s)) {
                    swept += access.apply(s, shard -> shard.sweep(writer,
                            h -> !listed.contains(h) && !touched.contains(h)));
                }
            }
        }
        changes += swept;
        return swept;
    }

    /** A pull given up (its writer left or stopped answering): what it held back is applied as it can be. */
    void abandon(ShardAccess access, Set<PoolHandle> resync) {
        if (partial != null) {
            abandonPartial(access, resync);
        }
        replayAll(access, resync);
    }

    @Override
    public String toString() {
        return "TablePull[" + id + " of " + Integer.toHexString(writer) + (isWholeTable() ? " whole table"
                : handles.isEmpty() ? " shards " + shards : " " + handles.size() + " pools") + ", " + blocks
                + " blocks]";
    }
}
