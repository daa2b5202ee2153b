package org.poolkeeper.handlespace;

import java.util.Arrays;

/**
 * The selection weights of a pool's PEs for the policies that draw by weight (WRAND: the PE's weight; RLU: the
 * inverse of its load): each PE holds a slot of a flat array, and a Fenwick tree (binary indexed tree) over the
 * slots' weights answers "which PE covers cumulative weight v" by a descent through one contiguous {@code long[]}.
 * The selection tree's augmented sums answered the same by following a reference per level, a cache miss each at
 * large pools; here the upper levels of the descent are the same few cache lines for every draw.
 *
 * <p>A removed PE's slot is filled with the last slot's PE, so the slots stay dense. Complexity: {@link #add},
 * {@link #remove}, {@link #refresh}, {@link #exclude}, {@link #include} and {@link #select} O(log n); growing or
 * shrinking the arrays O(n) amortised over as many changes. Under the other policies the index holds nothing and
 * every method returns at once. Single-threaded, like its {@link Pool}.
 */
final class WeightIndex {
    private static final int MIN_CAPACITY = 8;
    private static final int NONE = 0;
    private static final int WEIGHT_FIELD = 1;
    private static final int WEIGHT_INVERSE_LOAD = 2;

    private int mode = NONE;
    private PoolElement[] elements = new PoolElement[0];
    /** {@code weights[s]}: the own weight of the PE in slot s (also while it is excluded). */
    private long[] weights = new long[0];
    /** Fenwick tree, 1-based: {@code fenwick[i]} sums the current weights of slots {@code (i - lowbit(i), i]} - 1. */
    private long[] fenwick = new long[1];
    private int size;
    private long total;

    /** Sets how a PE's weight is derived from the policy; only while the index is empty. */
    void setPolicy(PolicyType type) {
        if (size != 0) {
            throw new IllegalStateException("the policy of a non-empty weight index cannot change");
        }
        mode = switch (type) {
            case WEIGHTED_RANDOM -> WEIGHT_FIELD;
            case RANDOMIZED_LEAST_USED -> WEIGHT_INVERSE_LOAD;
            default -> NONE;
        };
        if (mode == NONE) {
            elements = new PoolElement[0];
            weights = new long[0];
            fenwick = new long[1];
        } else if (elements.length == 0) {
            resize(MIN_CAPACITY);
        }
    }

    /** Whether the policy draws by weight (otherwise the index is empty and unused). */
    boolean active() {
        return mode != NONE;
    }

    int size() {
        return size;
    }

    /** The sum of the weights of the PEs not excluded. */
    long totalWeight() {
        return total;
    }

    /** A PE's selection weight under the policy, from its own fields; at least 1 for inverse load. */
    long weightOf(PoolElement e) {
        return switch (mode) {
            case WEIGHT_FIELD -> Integer.toUnsignedLong(e.weight);
            case WEIGHT_INVERSE_LOAD -> Math.max(1L, PolicyType.MAX_LOAD - Integer.toUnsignedLong(e.load));
            default -> 0L;
        };
    }

    void add(PoolElement e) {
        if (mode == NONE) {
            return;
        }
        if (size == elements.length) {
            resize(elements.length << 1);
        }
        int slot = size++;
        long w = weightOf(e);
        elements[slot] = e;
        weights[slot] = w;
        e.drawSlot = slot;
        addAt(slot, w);
    }

    void remove(PoolElement e) {
        if (mode == NONE) {
            return;
        }
        int slot = e.drawSlot;
        int last = --size;
        addAt(slot, -weights[slot]);
        if (slot != last) {
            PoolElement moved = elements[last];
            long w = weights[last];
            addAt(last, -w);
            elements[slot] = moved;
            weights[slot] = w;
            moved.drawSlot = slot;
            addAt(slot, w);
        }
        elements[last] = null;
        weights[last] = 0;
        e.drawSlot = -1;
        if (elements.length > MIN_CAPACITY && size < elements.length >>> 2) {
            resize(elements.length >>> 1);
        }
    }

    /** Takes up a change of the PE's weight fields. */
    void refresh(PoolElement e) {
        if (mode == NONE) {
            return;
        }
        int slot = e.drawSlot;
        long w = weightOf(e);
        long old = weights[slot];
        if (w != old) {
            weights[slot] = w;
            addAt(slot, w - old);
        }
    }

    /** Takes a PE out of the draws (its weight counts as 0) until {@link #include}; nothing else may change between. */
    void exclude(PoolElement e) {
        addAt(e.drawSlot, -weights[e.drawSlot]);
    }

    void include(PoolElement e) {
        addAt(e.drawSlot, weights[e.drawSlot]);
    }

    /**
     * The PE whose cumulative weight interval (in slot order) contains {@code value}, {@code 0 <= value <
     * totalWeight()}. Excluded PEs have an empty interval and are never returned.
     */
    PoolElement select(long value) {
        long[] f = fenwick;
        int capacity = elements.length;
        int pos = 0;
        for (int step = Integer.highestOneBit(capacity); step > 0; step >>>= 1) {
            int next = pos + step;
            if (next <= capacity && f[next] <= value) {
                pos = next;
                value -= f[next];
            }
        }
        return elements[pos]; // the 1-based position pos + 1 is slot pos
    }

    private void addAt(int slot, long delta) {
        long[] f = fenwick;
        int capacity = elements.length;
        for (int i = slot + 1; i <= capacity; i += i & -i) {
            f[i] += delta;
        }
        total += delta;
    }

    /** Moves to arrays of {@code capacity} slots (a power of two) and rebuilds the sums from the weights. O(n). */
    private void resize(int capacity) {
        elements = Arrays.copyOf(elements, capacity);
        weights = Arrays.copyOf(weights, capacity);
        fenwick = sumsOf(weights);
    }

    /** The Fenwick tree (1-based) of {@code weights}, built in O(n). */
    private static long[] sumsOf(long[] weights) {
        int capacity = weights.length;
        long[] f = new long[capacity + 1];
        for (int i = 1; i <= capacity; i++) {
            f[i] += weights[i - 1];
            int parent = i + (i & -i);
            if (parent <= capacity) {
                f[parent] += f[i];
            }
        }
        return f;
    }

    /** @throws IllegalStateException if a slot, a weight or a sum is wrong */
    void checkInvariants() {
        if (mode == NONE) {
            if (size != 0 || total != 0) {
                throw new IllegalStateException("a weight index holds PEs under a policy without weights");
            }
            return;
        }
        long sum = 0;
        for (int s = 0; s < elements.length; s++) {
            PoolElement e = elements[s];
            if (s < size) {
                if (e == null || e.drawSlot != s) {
                    throw new IllegalStateException("weight slot mismatch at " + s);
                }
                if (weights[s] != weightOf(e)) {
                    throw new IllegalStateException("stale weight in slot " + s + " for " + e);
                }
                sum += weights[s];
            } else if (e != null || weights[s] != 0) {
                throw new IllegalStateException("a slot beyond the size is filled: " + s);
            }
        }
        if (sum != total) {
            throw new IllegalStateException("weight total " + total + " but the slots sum to " + sum);
        }
        if (!Arrays.equals(sumsOf(weights), fenwick)) {
            throw new IllegalStateException("weight sums are stale");
        }
    }
}
