package org.poolkeeper.handlespace;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A set of pools: pool handle to {@link Pool}, plus the ownership index (home registrar id to its PEs) with a
 * PE count and a checksum per owner, kept up to date in O(1) per change (see {@link Checksums} for the
 * formula), and the pools filed by their earliest deadline ({@link PoolDeadlines}). A pool exists while it
 * holds at least one PE. A registrar holds one per shard of its handlespace
 * ({@code org.poolkeeper.replication.ShardReplica}).
 *
 * <p>Complexity: as {@link Pool} for operations on one pool, plus an expected O(1) pool lookup and O(log pools)
 * to re-file the pool under its earliest deadline; {@link #nextDeadline()} O(1); {@link #expire} O(log pools)
 * per pool with a PE due, plus the removals; counts and checksums O(1).
 *
 * <p>Not thread-safe: one owner at a time calls it (a shard's writer or replica under its lock, a test, a
 * benchmark). Pools it hands out may be read and resolved from, but changed only through this class (so that
 * the deadline filing stays right). Time is a parameter in microseconds; nothing here reads a clock.
 */
public final class Handlespace {
    private final HandlespaceConfig config;
    private final SplittableRandom random;
    private final Map<PoolHandle, Pool> pools = new HashMap<>();
    private final OwnerIndex owners = new OwnerIndex();
    private final PoolDeadlines deadlines = new PoolDeadlines();

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

    /** After any change of {@code pool}: drops it when empty, else keeps it, filed under its earliest deadline. */
    private void keepIfUsed(Pool pool) {
        if (pool.isEmpty()) {
            if (pool.deadlineSlot >= 0) {
                pools.remove(pool.handle());
                deadlines.remove(pool);
            }
            return;
        }
        if (pool.deadlineSlot < 0) {
            pools.put(pool.handle(), pool);
        }
        deadlines.file(pool, pool.nextDeadline());
    }

    /**
     * Registers or re-registers a PE, creating its pool if needed; see {@link Pool#register}. A handle longer
     * than {@link HandlespaceConfig#maxPoolHandleLength()} gets {@link Status#INVALID_VALUES}.
     */
    public Status register(PoolHandle handle, int peId, PolicyInfo info, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long now) {
        return register(handle, peId, info, addresses, lifeMs, homeRegistrarId, now, 0, 0, true);
    }

    /** {@link #register}, by a requester that may not own the PE: see {@link Pool#register(int, PolicyInfo,
     * AddressBlock, int, int, long, long, long, boolean)}. */
    public Status register(PoolHandle handle, int peId, PolicyInfo info, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long now, long ownerHi, long ownerLo, boolean holder) {
        if (handle.length() > config.maxPoolHandleLength()) {
            return Status.INVALID_VALUES;
        }
        Pool pool = poolForRegistration(handle);
        Status status = pool.register(peId, info, addresses, lifeMs, homeRegistrarId, now, ownerHi, ownerLo, holder);
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
    public Status reportUnreachable(PoolHandle handle, int peId, long reporter, long now, long windowMicros,
                                    int maxReports) {
        Pool pool = pools.get(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        Status status = pool.reportUnreachable(peId, reporter, now, windowMicros, maxReports);
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
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        Status status = pool.setDeadline(peId, deadline);
        keepIfUsed(pool);
        return status;
    }

    /** The earliest deadline of any PE, or {@link Long#MAX_VALUE}. O(1). */
    public long nextDeadline() {
        Pool first = deadlines.peek();
        return first == null ? Long.MAX_VALUE : first.filedDeadline;
    }

    /**
     * Expires every PE due at {@code now} (pool after pool, earliest first; each pool in deadline order), handing
     * each with its pool to {@code removed} after its removal. O(log pools) per pool with a PE due, plus the
     * removals.
     */
    public int expire(long now, BiConsumer<Pool, PoolElement> removed) {
        int expired = 0;
        Pool pool;
        while ((pool = deadlines.peek()) != null && pool.filedDeadline <= now) {
            Pool p = pool;
            expired += p.expire(now, e -> removed.accept(p, e));
            keepIfUsed(p);
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
        deadlines.checkInvariants();
        if (deadlines.size() != pools.size()) {
            throw new IllegalStateException(deadlines.size() + " pools filed by deadline, " + pools.size() + " held");
        }
    }
}
