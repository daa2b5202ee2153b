package org.poolkeeper.handlespace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One pool handle's pool: its policy, a {@link SelectionTree} ordered by the policy's sort key, an index by PE
 * identifier, a deadline heap for expiry, and (under the policies that draw by weight) a {@link WeightIndex}.
 *
 * <p>Complexity, n PEs in the pool, k PEs per resolution: register, re-register, deregister, unreachable
 * report and {@link #setDeadline} O(log n); {@link #resolve} O(k log n) (ordered policies O(log n + k) plus
 * O(log n) per updated PE; random O(k²) for k distinct draws from the deadline heap's array, weighted random
 * and randomized least used O(k log n + k²) from the {@link WeightIndex}, no updates);
 * {@link #nextDeadline()} O(1); {@link #expire} O(log n) per expired PE; lookups expected O(1);
 * {@link #checksum()} O(1).
 *
 * <p>Time is always a parameter, in microseconds on the caller's clock; registration lives are
 * milliseconds. Nothing here reads a clock, logs or blocks.
 *
 * <p>Not thread-safe: a pool has exactly one owner (its PoolActor, or a replica's handlespace) and only that
 * owner calls it. Expected failures are {@link Status} values; exceptions mean misuse (null arguments).
 *
 * <p>The first registration fixes the pool's policy; a PE with another policy is refused with
 * {@link Status#INCONSISTENT_POOLING_POLICY}. An empty pool forgets its policy.
 */
public final class Pool {
    private final PoolHandle handle;
    private final HandlespaceConfig config;
    private final SplittableRandom random;
    private final OwnerIndex owners; // null when the pool stands alone
    private final SelectionTree tree = new SelectionTree();
    private final ElementIndex index = new ElementIndex();
    private final WeightIndex draws = new WeightIndex();
    private final DeadlineHeap deadlines = new DeadlineHeap();

    private PolicyType policy;
    private long nextSeq;
    private long checksum;
    private PoolElement lastEvicted;
    private int[] drawnSlots;
    /** How many draws from all the PEs a weighted draw tries before it takes the drawn PEs out of the sums. */
    private static final int REDRAWS = 4;
    /** Where the handlespace's {@link PoolDeadlines} holds this pool (-1: not filed) and under which deadline. */
    int deadlineSlot = -1;
    long filedDeadline;

    /** A pool that stands alone (a PoolActor's), with its own seeded random source. */
    public Pool(PoolHandle handle, HandlespaceConfig config, long seed) {
        this(handle, config, new SplittableRandom(seed), null);
    }

    Pool(PoolHandle handle, HandlespaceConfig config, SplittableRandom random, OwnerIndex owners) {
        this.handle = Objects.requireNonNull(handle, "handle");
        this.config = Objects.requireNonNull(config, "config");
        this.random = random;
        this.owners = owners;
        // a random start, far from overflow: 2^62 more selections would be needed to wrap
        this.nextSeq = random.nextLong(1L << 60);
    }

    public PoolHandle handle() {
        return handle;
    }

    /** The pool's policy, or {@code null} while it is empty. */
    public PolicyType policy() {
        return policy;
    }

    public int size() {
        return index.size();
    }

    public boolean isEmpty() {
        return index.size() == 0;
    }

    /** The PE with this identifier, or {@code null}. */
    public PoolElement find(int peId) {
        return index.get(peId);
    }

    /** The sum of {@link Checksums#contribution} over this pool's PEs. */
    public long checksum() {
        return checksum;
    }

    /** The PE that the last {@link #register} evicted to make room, or {@code null}. */
    public PoolElement lastEvicted() {
        return lastEvicted;
    }

    // ------------------------------------------------------------------ registration

    /**
     * Registers a new PE, or re-registers an existing one (new policy info, life and addresses; it is
     * re-positioned and its deadline moves to {@code now + life}).
     *
     * @return {@link Status#ADDED}, {@link Status#UPDATED}, or the reason for refusal:
     *     {@link Status#INVALID_VALUES} (id 0, life outside 1..max, weight 0 for a weighted policy),
     *     {@link Status#REJECTED} (not the PE's holder nor its owner, see the overload with the owner hash),
     *     {@link Status#INCONSISTENT_POOLING_POLICY}, {@link Status#NON_UNIQUE_PE_IDENTIFIER} (the id is held
     *     by a PE with no address in common), {@link Status#LACK_OF_RESOURCES} (pool full, reject mode)
     */
    public Status register(int peId, PolicyInfo info, AddressBlock addresses, int lifeMs, int homeRegistrarId,
                           long now) {
        return register(peId, info, addresses, lifeMs, homeRegistrarId, now, 0, 0, true);
    }

    /**
     * {@link #register(int, PolicyInfo, AddressBlock, int, int, long)} by a requester that may or may not own the PE.
     * A new PE gets the owner hash given. An existing PE may be changed only by its holder (the session that holds
     * it, as the caller knows) or by a requester presenting the PE's owner hash; anyone else gets
     * {@link Status#REJECTED} and changes nothing. A holder presenting a hash gives the PE that hash.
     *
     * @param ownerHi the first 64 bits of the requester's owner hash (0 and 0: none)
     * @param holder  whether the requester holds the PE (registered it last through the same session)
     */
    public Status register(int peId, PolicyInfo info, AddressBlock addresses, int lifeMs, int homeRegistrarId,
                           long now, long ownerHi, long ownerLo, boolean holder) {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(addresses, "addresses");
        lastEvicted = null;
        PolicyType type = info.type();
        if (peId == 0 || lifeMs <= 0 || lifeMs > config.maxRegistrationLifeMs()
                || type.usesWeight() && info.weight() == 0) {
            return Status.INVALID_VALUES;
        }
        PoolElement e = index.get(peId);
        if (e == null) {
            if (policy != null && type != policy) {
                return Status.INCONSISTENT_POOLING_POLICY;
            }
            if (index.size() >= config.maxElementsPerPool()) {
                if (config.fullPoolAction() == HandlespaceConfig.FullPoolAction.REJECT) {
                    return Status.LACK_OF_RESOURCES;
                }
                PoolElement victim = deadlines.at(random.nextInt(deadlines.size())); // uniform over the PEs
                removeElement(victim);
                lastEvicted = victim;
            }
            if (policy == null) {
                setPolicy(type);
            }
            e = new PoolElement(peId);
            e.ownerHi = ownerHi;
            e.ownerLo = ownerLo;
            e.homeRegistrarId = homeRegistrarId;
            e.registeredAt = now;
            e.seq = nextSeq++;
            e.addresses = addresses.encoded();
            applyRegistration(e, info, lifeMs, now);
            e.key = sortKey(e);
            addElement(e);
            return Status.ADDED;
        }
        byte[] newAddresses = addresses.encoded();
        boolean newAddressBlock = e.addresses != newAddresses && !Arrays.equals(e.addresses, newAddresses);
        if (newAddressBlock && !AddressBlock.sharesAddress(e.addresses, newAddresses)) {
            return Status.NON_UNIQUE_PE_IDENTIFIER; // another PE that happens to have drawn the same id
        }
        if (!holder && !e.ownedBy(ownerHi, ownerLo)) {
            return Status.REJECTED; // claims to be this PE, and cannot prove it
        }
        boolean policyChange = type != policy;
        if (policyChange && index.size() > 1) {
            return Status.INCONSISTENT_POOLING_POLICY;
        }
        if (newAddressBlock) {
            e.addresses = newAddresses;
        }
        if (e.homeRegistrarId != homeRegistrarId) {
            changeHome(e, homeRegistrarId);
        }
        if ((ownerHi | ownerLo) != 0) {
            e.ownerHi = ownerHi;
            e.ownerLo = ownerLo;
        }
        applyRegistration(e, info, lifeMs, now);
        if (policyChange) {
            tree.delete(e);
            draws.remove(e);
            setPolicy(type);
            e.key = sortKey(e);
            tree.insert(e);
            draws.add(e);
        } else {
            reposition(e, sortKey(e));
            draws.refresh(e);
        }
        deadlines.update(e);
        return Status.UPDATED;
    }

    private static void applyRegistration(PoolElement e, PolicyInfo info, int lifeMs, long now) {
        e.load = info.load();
        e.weight = info.weight();
        e.priority = info.priority();
        e.loadDegradation = info.loadDegradation();
        e.lifeMs = lifeMs;
        e.lastReregisteredAt = now;
        e.reports = null; // a registration is news from the PE itself: earlier reports no longer count
        e.deadline = now + lifeMs * 1000L;
        if (Integer.compareUnsigned(e.roundCounter, e.weight) >= 0) {
            e.roundCounter = 0;
        }
    }

    private void reposition(PoolElement e, long newKey) {
        if (newKey != e.key) {
            tree.delete(e);
            e.key = newKey;
            tree.insert(e);
        }
    }

    private void setPolicy(PolicyType type) {
        policy = type;
        tree.setPolicy(type);
        draws.setPolicy(type);
    }

    /** The policy's primary sort key for a PE just (re-)registered; degradation starts at zero. */
    private long sortKey(PoolElement e) {
        switch (policy) {
            case LEAST_USED:
            case LEAST_USED_DEGRADATION:
                return Integer.toUnsignedLong(e.load);
            case PRIORITY_LEAST_USED:
                return Integer.toUnsignedLong(e.load) + Integer.toUnsignedLong(e.loadDegradation);
            case PRIORITY:
                return PolicyType.MAX_LOAD - Integer.toUnsignedLong(e.priority);
            default:
                return 0L;
        }
    }

    private void addElement(PoolElement e) {
        e.pool = this;
        tree.insert(e);
        draws.add(e);
        index.put(e);
        deadlines.add(e);
        long contribution = Checksums.contribution(handle, e.id);
        checksum += contribution;
        if (owners != null) {
            owners.add(e, contribution);
        }
    }

    private void removeElement(PoolElement e) {
        tree.delete(e);
        draws.remove(e);
        index.remove(e);
        deadlines.remove(e);
        long contribution = Checksums.contribution(handle, e.id);
        checksum -= contribution;
        if (owners != null) {
            owners.remove(e, contribution);
        }
        e.pool = null;
        if (index.size() == 0) {
            policy = null;
        }
    }

    private void changeHome(PoolElement e, int homeRegistrarId) {
        long contribution = Checksums.contribution(handle, e.id);
        if (owners != null) {
            owners.remove(e, contribution);
        }
        e.homeRegistrarId = homeRegistrarId;
        if (owners != null) {
            owners.add(e, contribution);
        }
    }

    /** Removes a PE. @return {@link Status#REMOVED} or {@link Status#UNKNOWN_POOL_ELEMENT} */
    public Status deregister(int peId) {
        PoolElement e = index.get(peId);
        if (e == null) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        removeElement(e);
        return Status.REMOVED;
    }

    /**
     * Counts a report that a PU could not reach the PE. Each reporter counts once: the report that makes
     * {@code maxReports} distinct reporters within the window (since the PE's last registration) removes it.
     *
     * @param reporter      who reports (e.g. the reporting connection), any value but equal for one reporter
     * @param now           the caller's clock, microseconds
     * @param windowMicros  how long a report counts
     * @return {@link Status#REPORTED}, {@link Status#REMOVED} or {@link Status#UNKNOWN_POOL_ELEMENT}
     */
    public Status reportUnreachable(int peId, long reporter, long now, long windowMicros, int maxReports) {
        int reporters = recordReport(peId, reporter, now, windowMicros);
        if (reporters < 0) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        if (reporters >= maxReports) {
            removeElement(index.get(peId));
            return Status.REMOVED;
        }
        return Status.REPORTED;
    }

    /**
     * Records an unreachability report without acting on it.
     *
     * @return how many distinct reporters reported the PE within the window, this one included; -1 for an unknown PE
     */
    public int recordReport(int peId, long reporter, long now, long windowMicros) {
        PoolElement e = index.get(peId);
        if (e == null) {
            return -1;
        }
        long[] old = e.reports;
        int n = old == null ? 0 : old.length / 2;
        long[] kept = new long[2 * (n + 1)];
        int k = 0;
        for (int i = 0; i < n; i++) {
            long who = old[2 * i];
            long at = old[2 * i + 1];
            if (who != reporter && now - at < windowMicros) {
                kept[2 * k] = who;
                kept[2 * k + 1] = at;
                k++;
            }
        }
        kept[2 * k] = reporter;
        kept[2 * k + 1] = now;
        k++;
        e.reports = k == n + 1 ? kept : Arrays.copyOf(kept, 2 * k);
        return k;
    }

    /**
     * Moves a PE's expiry deadline (cancel and re-arm its timer), e.g. to give an orphaned PE a takeover grace.
     *
     * @return {@link Status#UPDATED} or {@link Status#UNKNOWN_POOL_ELEMENT}
     */
    public Status setDeadline(int peId, long deadline) {
        PoolElement e = index.get(peId);
        if (e == null) {
            return Status.UNKNOWN_POOL_ELEMENT;
        }
        e.deadline = deadline;
        deadlines.update(e);
        return Status.UPDATED;
    }

    // ------------------------------------------------------------------ resolution

    /**
     * Handle resolution: selects up to {@code maxItems} distinct PEs by the pool's policy into {@code out}
     * and applies the policy's selection update to the first {@code maxIncrement} of them.
     *
     * @param maxItems     the request's count; 0 or less means MaxHResItems, and more than MaxHResItems is
     *                     cut to it; never more than the pool holds or {@code out.length}
     * @param maxIncrement how many of the selected PEs get a new sequence number (or degradation); 0 or less
     *                     means the policy default ({@link PolicyType#defaultMaxIncrement()})
     * @return the number of PEs written to {@code out} (0 for an empty pool)
     */
    public int resolve(int maxItems, int maxIncrement, long now, PoolElement[] out) {
        int limit = config.maxHandleResolutionItems();
        int items = maxItems <= 0 ? limit : Math.min(maxItems, limit);
        items = Math.min(Math.min(items, index.size()), out.length);
        if (items == 0) {
            return 0;
        }
        switch (policy) {
            case RANDOM:
                drawUniform(items, out);
                break;
            case WEIGHTED_RANDOM:
            case RANDOMIZED_LEAST_USED:
                drawWeighted(items, out);
                break;
            default:
                PoolElement e = tree.first();
                out[0] = e;
                for (int i = 1; i < items; i++) {
                    e = tree.next(e);
                    out[i] = e;
                }
        }
        int increments = Math.min(items, maxIncrement <= 0 ? policy.defaultMaxIncrement() : maxIncrement);
        for (int i = 0; i < items; i++) {
            out[i].lastSelectedAt = now;
        }
        for (int i = 0; i < increments; i++) {
            applySelection(out[i]);
        }
        return items;
    }

    /**
     * Uniform draws without replacement: a random slot of the deadline heap among those not drawn yet. The heap
     * array holds every PE of the pool exactly once, so a slot is a uniform pick in O(1), one array read, where a
     * rank in the selection tree would cost a walk from its root.
     */
    private void drawUniform(int items, PoolElement[] out) {
        int[] drawn = drawnSlots;
        if (drawn == null || drawn.length < items) {
            drawn = drawnSlots = new int[Math.max(items, 8)];
        }
        int n = deadlines.size();
        for (int i = 0; i < items; i++) {
            int slot = random.nextInt(n - i);
            int j = 0;
            while (j < i && drawn[j] <= slot) { // map to the slot-th undrawn position
                slot++;
                j++;
            }
            System.arraycopy(drawn, j, drawn, j + 1, i - j);
            drawn[j] = slot;
            out[i] = deadlines.at(slot);
        }
    }

    /**
     * Draws without replacement proportional to the selection weight, via the weight index's sums. Each draw first
     * tries up to {@link #REDRAWS} draws from all the PEs, keeping the first not drawn yet (usually the first: the
     * drawn few hold little of the weight); only when they all hit drawn PEs does it take the drawn ones out of the
     * sums for one exact draw. Both give each PE not drawn yet the chance weight / (weight not drawn yet): a redraw
     * that lands on a PE not drawn yet lands on each such PE in proportion to its weight.
     */
    private void drawWeighted(int items, PoolElement[] out) {
        long total = draws.totalWeight();
        if (total <= 0) {
            return; // no PE of a weighted pool has weight 0
        }
        for (int i = 0; i < items; i++) {
            PoolElement e = null;
            for (int attempt = 0; attempt < REDRAWS && e == null; attempt++) {
                PoolElement candidate = draws.select(random.nextLong(total));
                if (!drawnBefore(candidate, out, i)) {
                    e = candidate;
                }
            }
            if (e == null) {
                for (int j = 0; j < i; j++) {
                    draws.exclude(out[j]);
                }
                e = draws.select(random.nextLong(draws.totalWeight()));
                for (int j = 0; j < i; j++) {
                    draws.include(out[j]);
                }
            }
            out[i] = e;
        }
    }

    private static boolean drawnBefore(PoolElement e, PoolElement[] out, int drawn) {
        for (int j = 0; j < drawn; j++) {
            if (out[j] == e) {
                return true;
            }
        }
        return false;
    }

    /**
     * Updates a selected PE's selection state: it takes the next sequence number (moving behind the PEs of equal
     * key), weighted round robin counts its round, least-used-with-degradation degrades it. The random policies draw
     * without regard to the PEs' order (from the deadline heap's array, or by weight from the weight index), so a
     * selection changes nothing there.
     */
    private void applySelection(PoolElement e) {
        switch (policy) {
            case RANDOM:
            case WEIGHTED_RANDOM:
            case RANDOMIZED_LEAST_USED:
                return;
            case WEIGHTED_ROUND_ROBIN:
                if (Integer.compareUnsigned(++e.roundCounter, e.weight) < 0) {
                    return; // stays at the front until it has had its weight's share of this round
                }
                e.roundCounter = 0;
                break;
            case LEAST_USED_DEGRADATION:
                tree.delete(e);
                e.key += Integer.toUnsignedLong(e.loadDegradation);
                e.seq = nextSeq++;
                tree.insert(e);
                return;
            default:
                break;
        }
        PoolElement next = tree.next(e);
        if (next == null || next.key != e.key) {
            // no PE with the same key after e: the new (largest) sequence number keeps e where it is
            e.seq = nextSeq++;
            return;
        }
        tree.delete(e);
        e.seq = nextSeq++;
        tree.insert(e);
    }

    // ------------------------------------------------------------------ timers

    /** The earliest expiry deadline, or {@link Long#MAX_VALUE} when the pool is empty. */
    public long nextDeadline() {
        return deadlines.earliestDeadline();
    }

    /**
     * Removes every PE whose deadline is at or before {@code now}, in deadline order, handing each to
     * {@code removed} after its removal.
     *
     * @return how many PEs expired
     */
    public int expire(long now, Consumer<PoolElement> removed) {
        int expired = 0;
        // the heap's own copy of the deadline: no PE is read until it expires
        while (deadlines.size() > 0 && deadlines.earliestDeadline() <= now) {
            PoolElement e = deadlines.peek();
            removeElement(e);
            removed.accept(e);
            expired++;
        }
        return expired;
    }

    /** {@link #expire(long, Consumer)}, returning the expired PEs in deadline order. */
    public List<PoolElement> expire(long now) {
        List<PoolElement> removed = new ArrayList<>();
        expire(now, removed::add);
        return removed;
    }

    // ------------------------------------------------------------------ export and import

    /** Starts a block-wise export of the PEs in the pool now. O(n). */
    public ExportCursor exportCursor() {
        PoolElement[] elements = new PoolElement[index.size()];
        int i = 0;
        for (PoolElement e = tree.first(); e != null; e = tree.next(e)) {
            elements[i++] = e;
        }
        return new ExportCursor(this, elements);
    }

    /**
     * Hands the next at most {@code maxElements} PEs of the export to {@code sink}.
     *
     * @return true if the export has more to send
     * @throws IllegalArgumentException if the cursor belongs to another pool or {@code maxElements < 1}
     */
    public boolean exportBlock(ExportCursor cursor, int maxElements, Consumer<PoolElement> sink) {
        if (cursor.pool != this) {
            throw new IllegalArgumentException("the cursor belongs to another pool");
        }
        if (maxElements < 1) {
            throw new IllegalArgumentException("maxElements must be at least 1");
        }
        PoolElement[] elements = cursor.elements;
        int sent = 0;
        while (cursor.position < elements.length && sent < maxElements) {
            PoolElement e = elements[cursor.position];
            elements[cursor.position++] = null;
            if (e.pool == this) {
                sink.accept(e);
                sent++;
            }
        }
        return cursor.position < elements.length;
    }

    /**
     * Adds or replaces a PE exactly as exported elsewhere: every attribute, its deadline and selection state.
     *
     * @return {@link Status#ADDED}, {@link Status#UPDATED}, or {@link Status#INVALID_VALUES},
     *     {@link Status#INCONSISTENT_POOLING_POLICY}, {@link Status#LACK_OF_RESOURCES}
     */
    public Status importElement(ElementSnapshot s) {
        PolicyType type = s.policy().type();
        if (s.id() == 0 || s.lifeMs() <= 0 || type.usesWeight() && s.policy().weight() == 0) {
            return Status.INVALID_VALUES;
        }
        PoolElement e = index.get(s.id());
        Status status;
        if (e == null) {
            if (policy != null && type != policy) {
                return Status.INCONSISTENT_POOLING_POLICY;
            }
            if (index.size() >= config.maxElementsPerPool()) {
                return Status.LACK_OF_RESOURCES;
            }
            if (policy == null) {
                setPolicy(type);
            }
            e = new PoolElement(s.id());
            e.homeRegistrarId = s.homeRegistrarId();
            copySnapshot(e, s);
            addElement(e);
            status = Status.ADDED;
        } else {
            if (type != policy && index.size() > 1) {
                return Status.INCONSISTENT_POOLING_POLICY;
            }
            tree.delete(e);
            boolean policyChange = type != policy;
            if (policyChange) {
                draws.remove(e);
                setPolicy(type);
            }
            if (e.homeRegistrarId != s.homeRegistrarId()) {
                changeHome(e, s.homeRegistrarId());
            }
            copySnapshot(e, s);
            tree.insert(e);
            if (policyChange) {
                draws.add(e);
            } else {
                draws.refresh(e);
            }
            deadlines.update(e);
            status = Status.UPDATED;
        }
        if (s.selectionSequence() >= nextSeq) {
            nextSeq = s.selectionSequence() + 1;
        }
        return status;
    }

    private void copySnapshot(PoolElement e, ElementSnapshot s) {
        PolicyInfo info = s.policy();
        e.load = info.load();
        e.weight = info.weight();
        e.priority = info.priority();
        e.loadDegradation = info.loadDegradation();
        e.lifeMs = s.lifeMs();
        e.addresses = s.addresses().encoded();
        e.registeredAt = s.registeredAt();
        e.lastReregisteredAt = s.lastReregisteredAt();
        e.lastSelectedAt = s.lastSelectedAt();
        e.deadline = s.deadline();
        e.seq = s.selectionSequence();
        e.reports = null; // who reported is the writer's: a copy starts without reporters
        e.ownerHi = s.ownerHashHi();
        e.ownerLo = s.ownerHashLo();
        e.roundCounter = s.roundCounter();
        e.key = sortKey(e) + (policy == PolicyType.LEAST_USED_DEGRADATION ? s.accumulatedDegradation() : 0);
    }

    // ------------------------------------------------------------------ inspection

    /** Visits the PEs in selection order (the order an ordered policy would return them). */
    public void forEach(Consumer<PoolElement> action) {
        tree.forEach(action);
    }

    /**
     * Verifies the selection tree's invariants, the deadline heap's order, and that tree, index and heap hold
     * the same PEs with the right checksum.
     *
     * @throws IllegalStateException naming the first violation
     */
    public void checkInvariants() {
        tree.checkInvariants();
        deadlines.checkInvariants();
        draws.checkInvariants();
        if (draws.active() && draws.size() != index.size()) {
            throw new IllegalStateException("weight index " + draws.size() + " and index " + index.size()
                    + " disagree on the size of " + handle);
        }
        if (tree.size() != index.size() || deadlines.size() != index.size()) {
            throw new IllegalStateException("tree " + tree.size() + ", index " + index.size() + ", heap "
                    + deadlines.size() + " disagree on the size of " + handle);
        }
        long sum = 0;
        for (PoolElement e = tree.first(); e != null; e = tree.next(e)) {
            if (index.get(e.id) != e || e.pool != this || e.heapIndex < 0) {
                throw new IllegalStateException(e + " is not indexed consistently in " + handle);
            }
            sum += Checksums.contribution(handle, e.id);
        }
        if (sum != checksum) {
            throw new IllegalStateException("checksum of " + handle + " is stale");
        }
        if ((policy == null) != (index.size() == 0)) {
            throw new IllegalStateException("policy set on an empty pool or missing on a full one: " + handle);
        }
    }

    /** Test support: the 0-based position of a PE in selection order. */
    int rankOf(PoolElement e) {
        return tree.rank(e);
    }

    @Override
    public String toString() {
        return "Pool[" + handle + " " + (policy == null ? "-" : policy.shortName()) + " " + index.size() + " PEs]";
    }
}
