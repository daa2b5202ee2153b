package org.poolkeeper.handlespace;

import java.util.List;

/**
 * One registered server. The object is at once the PE's record and its node in every structure of its
 * pool: the selection tree (left/right/parent, colour, subtree count and weight sum), the index by PE
 * identifier (hash chain), the expiry heap (slot index) and the handlespace's ownership list. One object
 * per PE and no boxing keep a PE with one IPv4 address under 200 bytes of heap.
 *
 * <p>Read-only to everyone but its {@link Pool}; not thread-safe (see {@link Pool}). After removal the
 * object keeps its last values, so a caller told about a removal can still read them.
 */
public final class PoolElement {
    // --- the PE's own data ---
    final int id;
    int load;
    int weight;
    int priority;
    int loadDegradation;
    int lifeMs;
    int homeRegistrarId;
    /** Who reported the PE unreachable since its last registration: reporter ids and report times, or null. */
    long[] reports;
    /** The owner hash (first 128 bits of SHA-256 of the owner secret); 0 and 0 for none. */
    long ownerHi;
    long ownerLo;
    /** Weighted round robin: selections in the current round. */
    int roundCounter;
    long registeredAt;
    long lastReregisteredAt;
    long lastSelectedAt;
    long deadline;
    /** Selection sequence number: the tree's tie-breaker and round robin's order. Unique within a pool. */
    long seq;
    /** The policy's primary sort key (for LUD it includes the accumulated degradation). */
    long key;
    byte[] addresses;
    Pool pool;

    // --- selection tree links and augmentation ---
    PoolElement left;
    PoolElement right;
    PoolElement parent;
    boolean red;

    // --- other structures ---
    PoolElement hashNext;
    PoolElement ownerPrev;
    PoolElement ownerNext;
    int heapIndex = -1;
    /** Slot in the pool's {@link WeightIndex} (-1: none). */
    int drawSlot = -1;

    PoolElement(int id) {
        this.id = id;
    }

    /** The 32-bit PE identifier (never 0). */
    public int id() {
        return id;
    }

    /** The pool this PE is in, or {@code null} once it has been removed. */
    public Pool pool() {
        return pool;
    }

    public int load() {
        return load;
    }

    public int weight() {
        return weight;
    }

    public int priority() {
        return priority;
    }

    /** The load degradation the PE announced. */
    public int loadDegradation() {
        return loadDegradation;
    }

    /** Least Used with Degradation: the degradation accumulated by selections since the last registration. */
    public long accumulatedDegradation() {
        return pool != null && pool.policy() == PolicyType.LEAST_USED_DEGRADATION
                ? key - Integer.toUnsignedLong(load) : 0;
    }

    /** The registration life in milliseconds. */
    public int registrationLifeMs() {
        return lifeMs;
    }

    public int homeRegistrarId() {
        return homeRegistrarId;
    }

    /** How many distinct reporters reported the PE unreachable since its last registration (window not applied). */
    public int unreachableReports() {
        return reports == null ? 0 : reports.length / 2;
    }

    /** Whether the PE was registered with an owner secret. */
    public boolean hasOwner() {
        return (ownerHi | ownerLo) != 0;
    }

    /** Whether {@code hi, lo} is this PE's owner hash (never true for a PE without one). */
    public boolean ownedBy(long hi, long lo) {
        return hasOwner() && ownerHi == hi && ownerLo == lo;
    }

    public long ownerHashHi() {
        return ownerHi;
    }

    public long ownerHashLo() {
        return ownerLo;
    }

    /** When the PE first registered (caller's clock, microseconds). */
    public long registeredAt() {
        return registeredAt;
    }

    /** When the PE last (re-)registered (caller's clock, microseconds). */
    public long lastReregisteredAt() {
        return lastReregisteredAt;
    }

    /** When a resolution last returned this PE, or 0 if never. */
    public long lastSelectedAt() {
        return lastSelectedAt;
    }

    /** When the registration expires (caller's clock, microseconds). */
    public long expiryDeadline() {
        return deadline;
    }

    /** Weighted round robin: how often the PE was selected in the current round. */
    public int roundCounter() {
        return roundCounter;
    }

    public long selectionSequence() {
        return seq;
    }

    public AddressBlock addressBlock() {
        return AddressBlock.wrap(addresses);
    }

    public List<TransportAddress> addresses() {
        return addressBlock().addresses();
    }

    /** The policy info as the PE registered it. */
    public PolicyInfo policyInfo(PolicyType type) {
        return new PolicyInfo(type, load, weight, priority, loadDegradation);
    }

    /** A detached copy of everything replication needs, for export and import. */
    public ElementSnapshot snapshot() {
        return new ElementSnapshot(id, new PolicyInfo(pool.policy(), load, weight, priority, loadDegradation),
                AddressBlock.wrap(addresses), lifeMs, homeRegistrarId, registeredAt, lastReregisteredAt,
                lastSelectedAt, deadline, seq, unreachableReports(), accumulatedDegradation(), roundCounter, ownerHi,
                ownerLo);
    }

    /** Whether this PE is exactly what {@code s} describes (every attribute, timer and selection state). */
    public boolean matches(ElementSnapshot s) {
        PolicyInfo info = s.policy();
        return id == s.id() && pool != null && pool.policy() == info.type() && load == info.load()
                && weight == info.weight() && priority == info.priority()
                && loadDegradation == info.loadDegradation() && lifeMs == s.lifeMs()
                && homeRegistrarId == s.homeRegistrarId() && registeredAt == s.registeredAt()
                && lastReregisteredAt == s.lastReregisteredAt() && lastSelectedAt == s.lastSelectedAt()
                && deadline == s.deadline() && seq == s.selectionSequence()
                && ownerHi == s.ownerHashHi() && ownerLo == s.ownerHashLo()
                && accumulatedDegradation() == s.accumulatedDegradation() && roundCounter == s.roundCounter()
                && java.util.Arrays.equals(addresses, s.addresses().encoded());
    }

    @Override
    public String toString() {
        return "PE[" + Integer.toUnsignedString(id, 16) + " load=" + Integer.toUnsignedString(load)
                + " weight=" + Integer.toUnsignedString(weight) + " seq=" + seq + " deadline=" + deadline + "]";
    }
}
