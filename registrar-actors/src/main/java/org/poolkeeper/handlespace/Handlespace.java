package org.poolkeeper.handlespace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * All pools of a registrar: pool handle to {@link Pool}, plus the ownership index (home registrar id to its
 * PEs) with a PE count and a checksum per owner, kept up to date in O(1) per change (see {@link Checksums}
 * for the formula). A pool exists while it holds at least one PE.
 *
 * <p>Complexity: as {@link Pool} for operations on one pool, plus an expected O(1) pool lookup;
 * {@link #nextDeadline()} and {@link #expire} look at every pool (O(pools)); counts and checksums O(1).
 *
 * <p>Not thread-safe: one owner (a replication actor, a test, a benchmark) calls it. Time is a parameter in
 * microseconds; nothing here reads a clock.
 */
public final class Handlespace {
    private final HandlespaceConfig config;
    private final SplittableRandom random;
    private final Map<PoolHandle, Pool> pools = new HashMap<>();
    private final OwnerIndex owners = new OwnerIndex();

    public Handlespace(HandlespaceConfig config, long seed) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = new SplittableRandom(seed);
    }

    public HandlespaceConfig config() {
        return config;
    }

    /** The pool with this handle, or {@code null} if it has no PE. */
    public Pool pool(PoolHandle handle) {
        return pools.get(handle);
    }

    public Collection<Pool> pools() {
        return Collections.unmodifiableCollection(pools.values());
    }

    public int poolCount() {
        return pools.size();
    }

    public int elementCount() {
        return owners.totalCount();
    }

    /** The PE, or {@code null}. */
    public PoolElement find(PoolHandle handle, int peId) {
        Pool pool = pools.get(handle);
        return pool == null ? null : pool.find(peId);
    }

    private Pool poolForRegistration(PoolHandle handle) {
        Pool pool = pools.get(handle);
        return pool != null ? pool : new Pool(handle, config, random.split(), owners);
    }

    private void keepIfUsed(Pool pool) {
        if (pool.isEmpty()) {
            pools.remove(pool.handle());
        } else if (pools.get(pool.handle()) != pool) {
            pools.put(pool.handle(), pool);
        }
    }

    /**
     * Registers or re-registers a PE, creating its pool if needed; see {@link Pool#register}. A handle longer
     * than {@link HandlespaceConfig#maxPoolHandleLength()} gets {@link Status#INVALID_VALUES}.
     */
    public Status register(PoolHandle handle, int peId, PolicyInfo info, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long now) {
        if (handle.length() > config.maxPoolHandleLength()) {
            return Status.INVALID_VALUES;
        }
        Pool pool = poolForRegistration(handle);
        Status status = pool.register(peId, info, addresses, lifeMs, homeRegistrarId, now);
        keepIfUsed(pool);
        return status;
    }

    /** @return {@link Status#REMOVED}, {@link Status#UNKNOWN_POOL_HANDLE} or {@link Status#UNKNOWN_POOL_ELEMENT} */
    public Status deregister(PoolHandle handle, int peId) {
        Pool pool = pools.get(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        Status status = pool.deregister(peId);
        keepIfUsed(pool);
        return status;
    }

    /** See {@link Pool#reportUnreachable}; {@link Status#UNKNOWN_POOL_HANDLE} for an unknown handle. */
    public Status reportUnreachable(PoolHandle handle, int peId, int maxReports) {
        Pool pool = pools.get(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        Status status = pool.reportUnreachable(peId, maxReports);
        keepIfUsed(pool);
        return status;
    }

    /** See {@link Pool#resolve}; 0 when the handle is unknown (a pool with no PE does not exist). */
    public int resolve(PoolHandle handle, int maxItems, int maxIncrement, long now, PoolElement[] out) {
        Pool pool = pools.get(handle);
        return pool == null ? 0 : pool.resolve(maxItems, maxIncrement, now, out);
    }

    /** See {@link Pool#setDeadline}. */
    public Status setDeadline(PoolHandle handle, int peId, long deadline) {
        Pool pool = pools.get(handle);
        return pool == null ? Status.UNKNOWN_POOL_HANDLE : pool.setDeadline(peId, deadline);
    }

    /** The earliest deadline of any pool, or {@link Long#MAX_VALUE}. O(pools). */
    public long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (Pool pool : pools.values()) {
            next = Math.min(next, pool.nextDeadline());
        }
        return next;
    }

    /**
     * Expires every PE due at {@code now} in every pool (each pool in deadline order), handing each with its
     * pool to {@code removed}. O(pools) plus the removals.
     */
    public int expire(long now, BiConsumer<Pool, PoolElement> removed) {
        int expired = 0;
        for (Iterator<Pool> it = pools.values().iterator(); it.hasNext(); ) {
            Pool pool = it.next();
            if (pool.nextDeadline() <= now) {
                expired += pool.expire(now, e -> removed.accept(pool, e));
                if (pool.isEmpty()) {
                    it.remove();
                }
            }
        }
        return expired;
    }

    /** Adds or replaces a PE from an export; see {@link Pool#importElement}. */
    public Status importElement(PoolHandle handle, ElementSnapshot snapshot) {
        if (handle.length() > config.maxPoolHandleLength()) {
            return Status.INVALID_VALUES;
        }
        Pool pool = poolForRegistration(handle);
        Status status = pool.importElement(snapshot);
        keepIfUsed(pool);
        return status;
    }

    // ------------------------------------------------------------------ ownership and checksums

    /** The sum of every PE's checksum contribution. O(1). */
    public long checksum() {
        return owners.totalChecksum();
    }

    /** The checksum over the PEs whose home registrar is {@code ownerId} (0 if none). O(1). */
    public long ownerChecksum(int ownerId) {
        OwnerIndex.Owner owner = owners.find(ownerId);
        return owner == null ? 0 : owner.checksum;
    }

    /** How many PEs have {@code ownerId} as home registrar. O(1). */
    public int ownerElementCount(int ownerId) {
        OwnerIndex.Owner owner = owners.find(ownerId);
        return owner == null ? 0 : owner.count;
    }

    /** The home registrars that hold at least one PE, ascending. */
    public int[] ownerIds() {
        return owners.ownerIds();
    }

    /** Visits every PE homed at {@code ownerId}; the action may remove the PE it is given. */
    public void forEachOwned(int ownerId, Consumer<PoolElement> action) {
        owners.forEachOwned(ownerId, action);
    }

    // ------------------------------------------------------------------ export

    /** Where a block-wise export of a whole handlespace stands (pools in handle order). */
    public static final class Export {
        private final List<Pool> pools;
        private int poolIndex;
        private ExportCursor current;

        private Export(List<Pool> pools) {
            this.pools = pools;
        }

        public boolean hasMore() {
            return poolIndex < pools.size();
        }
    }

    /** Starts an export of the whole handlespace, as it is now (see {@link ExportCursor}). */
    public Export exportCursor() {
        List<Pool> list = new ArrayList<>(pools.values());
        list.sort((a, b) -> a.handle().compareTo(b.handle()));
        return new Export(list);
    }

    /**
     * Hands the next at most {@code maxElements} PEs of the export, with their pools, to {@code sink}.
     *
     * @return true if the export has more to send
     */
    public boolean exportBlock(Export export, int maxElements, BiConsumer<Pool, PoolElement> sink) {
        if (maxElements < 1) {
            throw new IllegalArgumentException("maxElements must be at least 1");
        }
        int[] budget = {maxElements};
        while (export.poolIndex < export.pools.size() && budget[0] > 0) {
            Pool pool = export.pools.get(export.poolIndex);
            if (export.current == null) {
                export.current = pool.exportCursor();
            }
            boolean more = pool.exportBlock(export.current, budget[0], e -> {
                sink.accept(pool, e);
                budget[0]--;
            });
            if (!more) {
                export.current = null;
                export.poolIndex++;
            }
        }
        return export.hasMore();
    }

    // ------------------------------------------------------------------ invariants

    /**
     * Checks every pool's invariants and that the ownership index agrees with the pools (counts and checksums
     * recomputed from scratch).
     *
     * @throws IllegalStateException naming the first violation
     */
    public void checkInvariants() {
        Map<Integer, long[]> expected = new HashMap<>();
        long total = 0;
        int count = 0;
        for (Map.Entry<PoolHandle, Pool> entry : pools.entrySet()) {
            Pool pool = entry.getValue();
            if (!pool.handle().equals(entry.getKey()) || pool.isEmpty()) {
                throw new IllegalStateException("pool map holds an empty or misfiled pool: " + pool);
            }
            pool.checkInvariants();
            total += pool.checksum();
            count += pool.size();
            pool.forEach(e -> {
                long[] acc = expected.computeIfAbsent(e.homeRegistrarId, k -> new long[2]);
                acc[0]++;
                acc[1] += Checksums.contribution(pool.handle(), e.id);
            });
        }
        if (total != owners.totalChecksum() || count != owners.totalCount()) {
            throw new IllegalStateException("handlespace totals disagree with the pools");
        }
        for (int owner : owners.ownerIds()) {
            long[] acc = expected.get(owner);
            int[] listed = {0};
            owners.forEachOwned(owner, e -> listed[0]++);
            if (acc == null || acc[0] != ownerElementCount(owner) || acc[1] != ownerChecksum(owner)
                    || listed[0] != acc[0]) {
                throw new IllegalStateException("ownership index of owner " + Integer.toHexString(owner) + " is stale");
            }
        }
        if (expected.size() != owners.ownerIds().length) {
            throw new IllegalStateException("ownership index misses an owner");
        }
    }
}
