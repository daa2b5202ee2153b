package org.poolkeeper.replication;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.Checksums;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;

/**
 * One shard of a registrar's replica of the handlespace: the pools whose handles map to this shard
 * ({@link Shards#of}), each with its {@link PoolOrder}, and per writer and per home registrar the number of
 * pools and PEs and their checksum, each kept up to date in O(1) per change.
 *
 * <p>The same object serves both sides of replication:
 * <ul>
 *   <li><b>Replica:</b> {@link #apply(Delta)} admits a writer's change only in order (a gap is dropped and
 *   counted; the caller resyncs the pool), {@link #applyPool} makes a pool exactly what its writer's table says
 *   unless this replica is already further on, {@link #sweep} removes what a writer's table no longer lists.</li>
 *   <li><b>Writer:</b> while this registrar writes the shard ({@link #beginIncarnation} … {@link #endIncarnation})
 *   its writer changes the pools here directly ({@link #register}, {@link #deregister},
 *   {@link #reportUnreachable}, {@link #expire}) and each change yields the {@link Delta} that the other
 *   replicas apply. A writer incarnation gives every pool it writes a new epoch, greater than any the pool had.</li>
 * </ul>
 *
 * <p>A pool has an order exactly while it holds PEs: the change that empties a pool ends its epoch, and the
 * next registration into it starts a new one.
 *
 * <p>Complexity: as {@link Handlespace} per change, plus an expected O(1) order lookup; totals per writer O(1)
 * (a shard has one writer but for moments of takeover); {@link #beginIncarnation} O(pools);
 * {@link #sweep} and {@link #poolsWrittenBy} O(pools).
 *
 * <p>Not thread-safe: one caller at a time (the registrar's shard lock serializes its writer, its replication
 * and the resolutions of its pools). Time is a parameter in microseconds; nothing here reads a clock.
 */
public final class ShardReplica {
    private final int shard;
    private final int numberOfShards;
    private final Handlespace handlespace;
    private final Map<PoolHandle, PoolOrder> orders = new HashMap<>();
    private final WriterTotals writers = new WriterTotals();
    private long gaps;
    private long changes;
    /**
     * The owners of PEs with an owner secret removed lately other than by a deregistration (expiry, keep-alive or
     * connection loss, unreachability reports), for as long as the PE's registration life (at most
     * {@link #MAX_TOMB_MICROS}): meanwhile only that owner may register the id again. Otherwise whoever got a PE
     * removed (three reporters suffice) could register its id first with a secret of its own and keep the PE's
     * owner out for good. Not replicated: a writer taking the shard over starts without them.
     */
    private final LinkedHashMap<ElementKey, Tomb> tombs = new LinkedHashMap<>();
    /** The latest time this writer was told (µs): when a removal without a time of its own happened. */
    private long lastNow;

    private record ElementKey(PoolHandle handle, int peId) {
    }

    private record Tomb(long ownerHi, long ownerLo, long untilMicros) {
    }

    /** Most tombs one shard keeps (the oldest go first): a few hundred KB. */
    static final int MAX_TOMBS = 10_000;
    static final long MAX_TOMB_MICROS = 600_000_000L;
    /** The writer incarnation this registrar runs for the shard: its registrar id, 0 when it does not write it. */
    private int incarnation;
    /** The epoch the next pool this incarnation starts gets; greater than any epoch seen in the shard. */
    private long nextEpoch = 1;

    /**
     * @param shard          this shard's number, 0 ≤ shard &lt; numberOfShards
     * @param numberOfShards how many shards the handlespace is split into (equal on all registrars)
     * @param config         the handlespace limits (equal on all registrars)
     * @param seed           seeds the selection randomness of the pools held here
     */
    public ShardReplica(int shard, int numberOfShards, HandlespaceConfig config, long seed) {
        if (shard < 0 || shard >= numberOfShards) {
            throw new IllegalArgumentException("shard " + shard + " outside 0.." + (numberOfShards - 1));
        }
        this.shard = shard;
        this.numberOfShards = numberOfShards;
        this.handlespace = new Handlespace(config, seed);
    }

    public int shard() {
        return shard;
    }

    // ------------------------------------------------------------------ reading

    /** The pool, or {@code null}; it may be read and resolved from (selection state), never changed otherwise. */
    public Pool pool(PoolHandle handle) {
        return handlespace.pool(handle);
    }

    /** The pool's order, or {@code null} when this replica holds none of its PEs. */
    public PoolOrder order(PoolHandle handle) {
        return orders.get(handle);
    }

    /** The PE, or {@code null}. */
    public PoolElement find(PoolHandle handle, int peId) {
        return handlespace.find(handle, peId);
    }

    public int poolCount() {
        return handlespace.poolCount();
    }

    public int elementCount() {
        return handlespace.elementCount();
    }

    /** The sum of every PE's checksum contribution ({@link Checksums}). */
    public long checksum() {
        return handlespace.checksum();
    }

    /** The pools, PEs and checksum of the pools {@code writer} writes here. */
    public WriterTotal writerTotal(int writer) {
        return writers.total(writer);
    }

    /** The writers of the pools held here, with their totals. */
    public List<WriterTotal> writerTotals() {
        return writers.all();
    }

    /** The home registrars of the PEs held here. */
    public int[] homeRegistrars() {
        return handlespace.ownerIds();
    }

    /** The checksum over the PEs homed at {@code registrarId}. */
    public long homeChecksum(int registrarId) {
        return handlespace.ownerChecksum(registrarId);
    }

    /** How many PEs are homed at {@code registrarId}. */
    public int homeElementCount(int registrarId) {
        return handlespace.ownerElementCount(registrarId);
    }

    /** Deltas dropped because they were not the next one of their pool. */
    public long gaps() {
        return gaps;
    }

    /** Grows by at least one with every change of what this replica holds (content or order). */
    public long changeCount() {
        return changes;
    }

    /** The earliest PE deadline of the shard, or {@link Long#MAX_VALUE}. O(1). */
    public long nextDeadline() {
        return handlespace.nextDeadline();
    }

    /** The handles of this shard's pools ordered after {@code after} (null: all of them), in handle order. */
    public List<PoolHandle> poolHandlesAfter(PoolHandle after) {
        List<PoolHandle> list = new ArrayList<>();
        for (Pool pool : handlespace.pools()) {
            if (after == null || pool.handle().compareTo(after) > 0) {
                list.add(pool.handle());
            }
        }
        list.sort(null);
        return list;
    }

    /** The handles of the pools {@code writer} writes here that {@code filter} accepts, in handle order. */
    public List<PoolHandle> poolsWrittenBy(int writer, Predicate<PoolHandle> filter) {
        List<PoolHandle> list = new ArrayList<>();
        orders.forEach((handle, order) -> {
            if (order.writer() == writer && filter.test(handle)) {
                list.add(handle);
            }
        });
        list.sort(null);
        return list;
    }

    // ------------------------------------------------------------------ replica side

    /** Applies one change, if it is the next one of its pool, and says what happened. */
    public Admission apply(Delta delta) {
        PoolHandle handle = delta.poolHandle();
        requireShard(handle);
        PoolOrder before = orders.get(handle);
        Admission admission = before == null ? PoolOrder.admitFirst(delta.sequence())
                : before.admit(delta.epoch(), delta.sequence());
        if (admission == Admission.GAP) {
            gaps++;
        }
        if (admission == Admission.GAP || admission == Admission.STALE) {
            return admission;
        }
        Pool pool = handlespace.pool(handle);
        long checksumBefore = pool == null ? 0 : pool.checksum();
        int sizeBefore = pool == null ? 0 : pool.size();
        if (delta.action() == Delta.Action.REMOVE) {
            handlespace.deregister(handle, delta.peId());
        } else if (!handlespace.importElement(handle, delta.element()).isSuccess()) {
            // what the writer accepted, this replica could not hold (e.g. a new epoch over a pool of another
            // policy): the pool's table replaces it
            gaps++;
            return Admission.GAP;
        }
        settle(handle, before, checksumBefore, sizeBefore, delta.order());
        return admission;
    }

    /**
     * Makes one pool exactly what its writer's table says (mark and sweep within the pool), unless this replica
     * holds a newer state of it ({@link PoolOrder#isNewerThan}). An empty state removes the pool.
     *
     * @return the number of PEs added, changed or removed
     */
    public int applyPool(PoolPart state) {
        Objects.requireNonNull(state, "state");
        if (state.continued()) {
            throw new IllegalArgumentException("a pool sent in parts is applied once all parts are merged");
        }
        PoolHandle handle = state.handle();
        requireShard(handle);
        PoolOrder before = orders.get(handle);
        if (before != null && before.isNewerThan(state.order())) {
            return 0;
        }
        Pool pool = handlespace.pool(handle);
        long checksumBefore = pool == null ? 0 : pool.checksum();
        int sizeBefore = pool == null ? 0 : pool.size();
        int changed = 0;
        if (pool != null) {
            Set<Integer> wanted = new HashSet<>(state.elements().size() * 2);
            for (ElementSnapshot s : state.elements()) {
                wanted.add(s.id());
            }
            List<Integer> extra = new ArrayList<>();
            pool.forEach(e -> {
                if (!wanted.contains(e.id())) {
                    extra.add(e.id());
                }
            });
            for (int id : extra) {
                handlespace.deregister(handle, id);
                changed++;
            }
            if (!state.elements().isEmpty() && handlespace.pool(handle) != null
                    && handlespace.pool(handle).policy() != state.policy()) {
                // the pool changed its policy at the writer (it was emptied and refilled): start afresh
                for (ElementSnapshot s : state.elements()) {
                    if (handlespace.deregister(handle, s.id()) == Status.REMOVED) {
                        changed++;
                    }
                }
            }
        }
        for (ElementSnapshot s : state.elements()) {
            PoolElement existing = handlespace.find(handle, s.id());
            if (existing == null || !existing.matches(s)) {
                if (!handlespace.importElement(handle, s).isSuccess()) {
                    throw new IllegalArgumentException("pool state of " + handle + " not importable: PE "
                            + Integer.toUnsignedString(s.id(), 16));
                }
                changed++;
            }
        }
        settle(handle, before, checksumBefore, sizeBefore, state.order());
        if (changed == 0 && !state.order().equals(before)) {
            changes++;
        }
        return changed;
    }

    /**
     * Removes the pools {@code writer} writes here that {@code remove} selects (those its table no longer lists).
     *
     * @return the number of PEs removed
     */
    public int sweep(int writer, Predicate<PoolHandle> remove) {
        List<PoolHandle> gone = new ArrayList<>();
        orders.forEach((handle, order) -> {
            if (order.writer() == writer && remove.test(handle)) {
                gone.add(handle);
            }
        });
        int removed = 0;
        for (PoolHandle handle : gone) {
            removed += removePool(writer, handle);
        }
        return removed;
    }

    /**
     * Removes a pool if {@code writer} writes it here (its table no longer lists it).
     *
     * @return the number of PEs removed
     */
    public int removePool(int writer, PoolHandle handle) {
        PoolOrder before = orders.get(handle);
        if (before == null || before.writer() != writer) {
            return 0;
        }
        Pool pool = handlespace.pool(handle);
        long checksumBefore = pool.checksum();
        int sizeBefore = pool.size();
        List<Integer> ids = new ArrayList<>(sizeBefore);
        pool.forEach(e -> ids.add(e.id()));
        for (int id : ids) {
            handlespace.deregister(handle, id);
        }
        settle(handle, before, checksumBefore, sizeBefore, before);
        return sizeBefore;
    }

    // ------------------------------------------------------------------ writer side

    /**
     * This registrar starts writing the shard: every pool held here gets a new epoch (greater than any the shard
     * has seen, and at least {@code epochFloor}) and sequence 0, and {@code writer} as its writer; pools started
     * later in this incarnation get greater epochs still.
     *
     * @param writer     this registrar's id (not 0)
     * @param epochFloor the least epoch to use, e.g. a clock reading in microseconds, so that incarnations that
     *                   begin later elsewhere (whose replicas may have seen less) still pick greater epochs
     * @return the epoch the pools held now were given
     */
    public long beginIncarnation(int writer, long epochFloor) {
        if (writer == 0) {
            throw new IllegalArgumentException("writer id 0");
        }
        long epoch = Math.max(Math.max(epochFloor, 1), nextEpoch);
        for (PoolOrder order : orders.values()) {
            epoch = Math.max(epoch, order.epoch() + 1);
        }
        for (Map.Entry<PoolHandle, PoolOrder> entry : orders.entrySet()) {
            PoolOrder before = entry.getValue();
            Pool pool = handlespace.pool(entry.getKey());
            if (before.writer() != writer) {
                writers.add(before.writer(), -1, -pool.size(), -pool.checksum());
                writers.add(writer, 1, pool.size(), pool.checksum());
            }
            entry.setValue(new PoolOrder(epoch, 0, writer));
        }
        incarnation = writer;
        nextEpoch = epoch + 1;
        changes++;
        return epoch;
    }

    /** This registrar stops writing the shard (its writer stopped); the pools stay as they are. */
    public void endIncarnation() {
        incarnation = 0;
    }

    /** The registrar id this replica writes the shard as, 0 when it does not write it. */
    public int incarnation() {
        return incarnation;
    }

    /**
     * Registers or re-registers a PE ({@link Pool#register}); a registration that evicts a PE from a full pool
     * yields its removal first.
     *
     * @param out receives the deltas of the change, in order
     * @return the status {@link Pool#register} gives
     * @throws IllegalStateException if this registrar does not write the shard
     */
    public Status register(PoolHandle handle, int peId, PolicyInfo info, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long now, Consumer<Delta> out) {
        return register(handle, peId, info, addresses, lifeMs, homeRegistrarId, now, 0, 0, true, out);
    }

    /**
     * {@link #register}, by a requester that may not own the PE (see {@link Pool#register(int, PolicyInfo,
     * AddressBlock, int, int, long, long, long, boolean)}): {@link Status#REJECTED} changes nothing.
     */
    public Status register(PoolHandle handle, int peId, PolicyInfo info, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long now, long ownerHi, long ownerLo, boolean holder,
                           Consumer<Delta> out) {
        requireWriting(handle);
        lastNow = Math.max(lastNow, now);
        PoolOrder before = orders.get(handle);
        Pool pool = handlespace.pool(handle);
        if (pool == null || pool.find(peId) == null) {
            ElementKey key = new ElementKey(handle, peId);
            Tomb tomb = tombs.get(key);
            if (tomb != null && tomb.untilMicros() <= now) {
                tombs.remove(key);
            } else if (tomb != null && !(tomb.ownerHi() == ownerHi && tomb.ownerLo() == ownerLo)) {
                return Status.REJECTED; // the PE was removed lately: its id is still its owner's
            }
        }
        long checksumBefore = pool == null ? 0 : pool.checksum();
        int sizeBefore = pool == null ? 0 : pool.size();
        Status status = handlespace.register(handle, peId, info, addresses, lifeMs, homeRegistrarId, now, ownerHi,
                ownerLo, holder);
        if (status == Status.ADDED) {
            tombs.remove(new ElementKey(handle, peId));
        }
        pool = handlespace.pool(handle);
        if (pool == null) {
            return status; // refused into a pool that does not exist
        }
        PoolElement evicted = pool.lastEvicted();
        boolean registered = status == Status.ADDED || status == Status.UPDATED;
        if (evicted == null && !registered) {
            return status; // refused: nothing changed
        }
        PoolOrder order = writable(before);
        if (evicted != null) {
            order = order.next();
            out.accept(new Delta(handle, order.epoch(), order.sequence(), Delta.Action.REMOVE, evicted.id(), null,
                    Delta.Reason.EVICTION, incarnation));
        }
        if (registered) {
            order = order.next();
            out.accept(new Delta(handle, order.epoch(), order.sequence(),
                    status == Status.ADDED ? Delta.Action.ADD : Delta.Action.UPDATE, peId, pool.find(peId).snapshot(),
                    Delta.Reason.REGISTRATION, incarnation));
        }
        settle(handle, before, checksumBefore, sizeBefore, order);
        return status;
    }

    /**
     * Removes a PE.
     *
     * @return {@link Status#REMOVED}, {@link Status#UNKNOWN_POOL_HANDLE} or {@link Status#UNKNOWN_POOL_ELEMENT}
     * @throws IllegalStateException if this registrar does not write the shard
     */
    public Status deregister(PoolHandle handle, int peId, Delta.Reason reason, Consumer<Delta> out) {
        requireWriting(handle);
        Pool pool = handlespace.pool(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        if (pool.find(peId) == null) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        removeWritten(handle, pool, peId, reason, out);
        return Status.REMOVED;
    }

    /**
     * Removes a PE on the request of a client that may not own it: only its holder, or a requester presenting its
     * owner hash, may.
     *
     * @return {@link Status#REMOVED}, {@link Status#REJECTED}, {@link Status#UNKNOWN_POOL_HANDLE} or
     *     {@link Status#UNKNOWN_POOL_ELEMENT}
     */
    public Status deregister(PoolHandle handle, int peId, long ownerHi, long ownerLo, boolean holder,
                             Consumer<Delta> out) {
        requireWriting(handle);
        Pool pool = handlespace.pool(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        PoolElement e = pool.find(peId);
        if (e == null) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        if (!holder && !e.ownedBy(ownerHi, ownerLo)) {
            return Status.REJECTED;
        }
        removeWritten(handle, pool, peId, Delta.Reason.DEREGISTRATION, out);
        return Status.REMOVED;
    }

    /**
     * Counts an unreachability report ({@link Pool#recordReport}): each reporter once within the window since the
     * PE's last registration; the report that makes {@code maxReports} distinct reporters removes the PE.
     *
     * @param reporter who reports (the reporting connection); equal values count once
     * @return {@link Status#REPORTED}, {@link Status#REMOVED}, {@link Status#UNKNOWN_POOL_HANDLE} or
     *     {@link Status#UNKNOWN_POOL_ELEMENT}
     */
    public Status reportUnreachable(PoolHandle handle, int peId, long reporter, long now, long windowMicros,
                                    int maxReports, Consumer<Delta> out) {
        requireWriting(handle);
        lastNow = Math.max(lastNow, now);
        Pool pool = handlespace.pool(handle);
        if (pool == null) {
            return Status.UNKNOWN_POOL_HANDLE;
        }
        int reporters = pool.recordReport(peId, reporter, now, windowMicros);
        if (reporters < 0) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        if (reporters >= maxReports) {
            removeWritten(handle, pool, peId, Delta.Reason.UNREACHABLE, out);
            return Status.REMOVED;
        }
        changes++;
        return Status.REPORTED;
    }

    /**
     * Expires every PE due at {@code now}, earliest first.
     *
     * @param homeIsLive whether a home registrar is still a member: a PE whose home left expires with
     *                   {@link Delta.Reason#TAKEOVER_EXPIRED} (its takeover grace ran out), any other with
     *                   {@link Delta.Reason#EXPIRY}
     * @return how many PEs expired
     */
    public int expire(long now, IntPredicate homeIsLive, Consumer<Delta> out) {
        requireWriting(null);
        lastNow = Math.max(lastNow, now);
        return handlespace.expire(now, (pool, e) -> {
            PoolHandle handle = pool.handle();
            bury(handle, e, Delta.Reason.EXPIRY);
            PoolOrder before = orders.get(handle);
            PoolOrder order = writable(before).next();
            Delta.Reason reason = homeIsLive.test(e.homeRegistrarId()) ? Delta.Reason.EXPIRY
                    : Delta.Reason.TAKEOVER_EXPIRED;
            out.accept(new Delta(handle, order.epoch(), order.sequence(), Delta.Action.REMOVE, e.id(), null, reason,
                    incarnation));
            // e is out of the pool already: its share of the totals before the removal
            settle(handle, before, pool.checksum() + Checksums.contribution(handle, e.id()), pool.size() + 1, order);
        });
    }

    /**
     * Gives the PEs homed at a registrar that left the takeover grace: their deadline becomes
     * min(deadline, {@code deadline}). Not replicated (the writer alone expires PEs).
     *
     * @return how many deadlines moved
     */
    public int limitDeadlines(int homeRegistrarId, long deadline) {
        requireWriting(null);
        List<PoolElement> homed = new ArrayList<>();
        handlespace.forEachOwned(homeRegistrarId, e -> {
            if (e.expiryDeadline() > deadline) {
                homed.add(e);
            }
        });
        for (PoolElement e : homed) {
            handlespace.setDeadline(e.pool().handle(), e.id(), deadline);
        }
        if (!homed.isEmpty()) {
            changes++;
        }
        return homed.size();
    }

    private void removeWritten(PoolHandle handle, Pool pool, int peId, Delta.Reason reason, Consumer<Delta> out) {
        bury(handle, pool.find(peId), reason);
        PoolOrder before = orders.get(handle);
        long checksumBefore = pool.checksum();
        int sizeBefore = pool.size();
        handlespace.deregister(handle, peId);
        PoolOrder order = writable(before).next();
        out.accept(new Delta(handle, order.epoch(), order.sequence(), Delta.Action.REMOVE, peId, null, reason,
                incarnation));
        settle(handle, before, checksumBefore, sizeBefore, order);
    }

    private void bury(PoolHandle handle, PoolElement e, Delta.Reason reason) {
        if (e == null || !e.hasOwner() || reason == Delta.Reason.DEREGISTRATION) {
            return;
        }
        ElementKey key = new ElementKey(handle, e.id());
        tombs.remove(key);
        tombs.put(key, new Tomb(e.ownerHashHi(), e.ownerHashLo(),
                lastNow + Math.min(e.registrationLifeMs() * 1000L, MAX_TOMB_MICROS)));
        if (tombs.size() > MAX_TOMBS) {
            Iterator<ElementKey> oldest = tombs.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    /**
     * The order the writer continues from: the pool's own while this incarnation writes it, else a new epoch
     * (a pool new here, or one whose last change came from another writer).
     */
    private PoolOrder writable(PoolOrder before) {
        if (before != null && before.writer() == incarnation) {
            return before;
        }
        long epoch = nextEpoch;
        if (before != null && before.epoch() >= epoch) {
            epoch = before.epoch() + 1;
        }
        nextEpoch = epoch + 1;
        return new PoolOrder(epoch, 0, incarnation);
    }

    private void requireWriting(PoolHandle handle) {
        if (incarnation == 0) {
            throw new IllegalStateException("shard " + shard + " is not written here");
        }
        if (handle != null) {
            requireShard(handle);
        }
    }

    private void requireShard(PoolHandle handle) {
        if (Shards.of(handle, numberOfShards) != shard) {
            throw new IllegalArgumentException(handle + " is not in shard " + shard);
        }
    }

    // ------------------------------------------------------------------ bookkeeping

    /**
     * After a change of one pool: records its order (or forgets it, once the pool is empty) and moves the pool's
     * share of the writer totals from the writer before to the writer after. While this registrar writes the
     * shard, a pool that arrived from another writer (a late delta or table of the writer before) becomes its own
     * at once, under a new epoch: the shard has one writer, and its audit then brings every replica to this
     * state.
     */
    private void settle(PoolHandle handle, PoolOrder before, long checksumBefore, int sizeBefore, PoolOrder after) {
        if (incarnation != 0 && after != null && after.writer() != incarnation) {
            after = writable(after);
        }
        Pool pool = handlespace.pool(handle);
        if (before != null) {
            writers.add(before.writer(), -1, -sizeBefore, -checksumBefore);
        }
        if (pool == null || pool.isEmpty()) { // empty: in the middle of an expiry, about to go
            orders.remove(handle);
        } else {
            orders.put(handle, after);
            writers.add(after.writer(), 1, pool.size(), pool.checksum());
        }
        changes++;
    }

    /** What {@link ShardReplica#writerTotal} reports for one writer. */
    public record WriterTotal(int writer, int pools, int elements, long checksum) {
    }

    /** Per writer: pools, PEs, checksum. A shard has one writer, two or three for moments of takeover. */
    private static final class WriterTotals {
        private int[] ids = new int[2];
        private int[] pools = new int[2];
        private int[] elements = new int[2];
        private long[] checksums = new long[2];
        private int size;

        void add(int writer, int poolDelta, int elementDelta, long checksumDelta) {
            int i = 0;
            while (i < size && ids[i] != writer) {
                i++;
            }
            if (i == size) {
                if (size == ids.length) {
                    ids = Arrays.copyOf(ids, size * 2);
                    pools = Arrays.copyOf(pools, size * 2);
                    elements = Arrays.copyOf(elements, size * 2);
                    checksums = Arrays.copyOf(checksums, size * 2);
                }
                ids[i] = writer;
                pools[i] = 0;
                elements[i] = 0;
                checksums[i] = 0;
                size++;
            }
            pools[i] += poolDelta;
            elements[i] += elementDelta;
            checksums[i] += checksumDelta;
            if (pools[i] == 0 && elements[i] == 0 && checksums[i] == 0) {
                int last = --size;
                ids[i] = ids[last];
                pools[i] = pools[last];
                elements[i] = elements[last];
                checksums[i] = checksums[last];
            }
        }

        WriterTotal total(int writer) {
            for (int i = 0; i < size; i++) {
                if (ids[i] == writer) {
                    return new WriterTotal(writer, pools[i], elements[i], checksums[i]);
                }
            }
            return new WriterTotal(writer, 0, 0, 0);
        }

        List<WriterTotal> all() {
            List<WriterTotal> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(new WriterTotal(ids[i], pools[i], elements[i], checksums[i]));
            }
            return list;
        }
    }

    // ------------------------------------------------------------------ invariants

    /**
     * Checks the handlespace's invariants and that orders, shard membership and writer totals agree with the
     * pools held (recomputed from scratch).
     *
     * @throws IllegalStateException naming the first violation
     */
    public void checkInvariants() {
        handlespace.checkInvariants();
        if (orders.size() != handlespace.poolCount()) {
            throw new IllegalStateException("shard " + shard + ": " + orders.size() + " orders for "
                    + handlespace.poolCount() + " pools");
        }
        Map<Integer, long[]> expected = new HashMap<>();
        for (Pool pool : handlespace.pools()) {
            PoolOrder order = orders.get(pool.handle());
            if (order == null) {
                throw new IllegalStateException("pool " + pool.handle() + " has no order");
            }
            if (Shards.of(pool.handle(), numberOfShards) != shard) {
                throw new IllegalStateException("pool " + pool.handle() + " is not in shard " + shard);
            }
            if (incarnation != 0 && order.writer() == incarnation && order.epoch() >= nextEpoch) {
                throw new IllegalStateException("pool " + pool.handle() + " has epoch " + order.epoch()
                        + " not below the next one issued, " + nextEpoch);
            }
            long[] t = expected.computeIfAbsent(order.writer(), k -> new long[3]);
            t[0]++;
            t[1] += pool.size();
            t[2] += pool.checksum();
        }
        List<WriterTotal> totals = writers.all();
        if (totals.size() != expected.size()) {
            throw new IllegalStateException("shard " + shard + ": writer totals list " + totals + ", expected "
                    + expected.keySet());
        }
        for (WriterTotal total : totals) {
            long[] t = expected.get(total.writer());
            if (t == null || t[0] != total.pools() || t[1] != total.elements() || t[2] != total.checksum()) {
                throw new IllegalStateException("shard " + shard + ": stale totals of writer "
                        + Integer.toHexString(total.writer()) + ": " + total + ", recomputed "
                        + (t == null ? "none" : t[0] + " pools, " + t[1] + " PEs, checksum " + t[2]));
            }
        }
    }

    @Override
    public String toString() {
        return "ShardReplica[" + shard + ": " + poolCount() + " pools, " + elementCount() + " PEs"
                + (incarnation != 0 ? ", written here" : "") + "]";
    }
}
