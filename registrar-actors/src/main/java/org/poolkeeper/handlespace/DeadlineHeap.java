package org.poolkeeper.handlespace;

import java.util.Arrays;

/**
 * The pool's expiry structure: a 4-ary min-heap of PEs by expiry deadline. Each PE remembers its slot,
 * so cancel and re-arm are O(log n) without search; the earliest deadline is O(1). The deadlines sit in an
 * array of their own beside the PEs, so sifting compares contiguous {@code long}s (a node's four children
 * share a cache line) instead of following a reference per comparison; four children per node halve the
 * levels a removal sifts through. Single-threaded, like its {@link Pool}.
 */
final class DeadlineHeap {
    private static final int MIN_CAPACITY = 8;

    private PoolElement[] heap = new PoolElement[MIN_CAPACITY];
    /** {@code keys[i] == heap[i].deadline} for every filled slot. */
    private long[] keys = new long[MIN_CAPACITY];
    private int size;

    int size() {
        return size;
    }

    /** The PE in heap slot {@code i}, {@code 0 <= i < size()}: a PE picked without regard to its order. */
    PoolElement at(int i) {
        return heap[i];
    }

    PoolElement peek() {
        return size == 0 ? null : heap[0];
    }

    /** The earliest deadline, or {@link Long#MAX_VALUE} when the heap is empty. */
    long earliestDeadline() {
        return size == 0 ? Long.MAX_VALUE : keys[0];
    }

    void add(PoolElement e) {
        if (size == heap.length) {
            int capacity = size + (size >> 1) + 1;
            heap = Arrays.copyOf(heap, capacity);
            keys = Arrays.copyOf(keys, capacity);
        }
        siftUp(size++, e, e.deadline);
    }

    void remove(PoolElement e) {
        int i = e.heapIndex;
        e.heapIndex = -1;
        int lastSlot = --size;
        PoolElement last = heap[lastSlot];
        long lastKey = keys[lastSlot];
        heap[lastSlot] = null;
        if (i != lastSlot) {
            if (i > 0 && keys[parent(i)] > lastKey) {
                siftUp(i, last, lastKey);
            } else {
                siftDown(i, last, lastKey);
            }
        }
        if (heap.length > 64 && size < heap.length >>> 2) {
            heap = Arrays.copyOf(heap, heap.length >>> 1);
            keys = Arrays.copyOf(keys, keys.length >>> 1);
        }
    }

    /** Restores order after {@code e.deadline} changed. */
    void update(PoolElement e) {
        int i = e.heapIndex;
        long key = e.deadline;
        if (i > 0 && keys[parent(i)] > key) {
            siftUp(i, e, key);
        } else {
            siftDown(i, e, key);
        }
    }

    private static int parent(int i) {
        return (i - 1) >>> 2;
    }

    /** Places {@code e} (deadline {@code key}) at slot {@code i} or above it. */
    private void siftUp(int i, PoolElement e, long key) {
        PoolElement[] h = heap;
        long[] k = keys;
        while (i > 0) {
            int p = parent(i);
            if (k[p] <= key) {
                break;
            }
            PoolElement moved = h[p];
            h[i] = moved;
            k[i] = k[p];
            moved.heapIndex = i;
            i = p;
        }
        h[i] = e;
        k[i] = key;
        e.heapIndex = i;
    }

    /** Places {@code e} (deadline {@code key}) at slot {@code i} or below it. */
    private void siftDown(int i, PoolElement e, long key) {
        PoolElement[] h = heap;
        long[] k = keys;
        int n = size;
        while (true) {
            int first = 4 * i + 1;
            if (first >= n) {
                break;
            }
            int child = first;
            long min = k[first];
            int end = Math.min(first + 4, n);
            for (int c = first + 1; c < end; c++) {
                if (k[c] < min) {
                    min = k[c];
                    child = c;
                }
            }
            if (key <= min) {
                break;
            }
            PoolElement moved = h[child];
            h[i] = moved;
            k[i] = min;
            moved.heapIndex = i;
            i = child;
        }
        h[i] = e;
        k[i] = key;
        e.heapIndex = i;
    }

    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            if (heap[i].heapIndex != i) {
                throw new IllegalStateException("heap slot mismatch at " + i);
            }
            if (keys[i] != heap[i].deadline) {
                throw new IllegalStateException("heap key at " + i + " is stale: " + keys[i] + " for " + heap[i]);
            }
            if (i > 0 && keys[parent(i)] > keys[i]) {
                throw new IllegalStateException("heap order violated at " + i);
            }
        }
    }
}
