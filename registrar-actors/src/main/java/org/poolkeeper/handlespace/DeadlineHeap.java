package org.poolkeeper.handlespace;

import java.util.Arrays;

/**
 * The pool's expiry structure: a binary min-heap of PEs by expiry deadline. Each PE remembers its slot,
 * so cancel and re-arm are O(log n) without search; the earliest deadline is O(1).
 * Single-threaded, like its {@link Pool}.
 */
final class DeadlineHeap {
    private PoolElement[] heap = new PoolElement[8];
    private int size;

    int size() {
        return size;
    }

    PoolElement peek() {
        return size == 0 ? null : heap[0];
    }

    void add(PoolElement e) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size + (size >> 1) + 1);
        }
        e.heapIndex = size;
        heap[size++] = e;
        siftUp(e.heapIndex);
    }

    void remove(PoolElement e) {
        int i = e.heapIndex;
        e.heapIndex = -1;
        PoolElement last = heap[--size];
        heap[size] = null;
        if (i != size) {
            heap[i] = last;
            last.heapIndex = i;
            siftDown(i);
            if (heap[i] == last) {
                siftUp(i);
            }
        }
        if (heap.length > 64 && size < heap.length >>> 2) {
            heap = Arrays.copyOf(heap, heap.length >>> 1);
        }
    }

    /** Restores order after {@code e.deadline} changed. */
    void update(PoolElement e) {
        int i = e.heapIndex;
        siftUp(i);
        if (heap[i] == e) {
            siftDown(i);
        }
    }

    private void siftUp(int i) {
        PoolElement e = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            PoolElement p = heap[parent];
            if (p.deadline <= e.deadline) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = e;
        e.heapIndex = i;
    }

    private void siftDown(int i) {
        PoolElement e = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            PoolElement c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].deadline < c.deadline) {
                child = right;
                c = heap[right];
            }
            if (e.deadline <= c.deadline) {
                break;
            }
            heap[i] = c;
            c.heapIndex = i;
            i = child;
        }
        heap[i] = e;
        e.heapIndex = i;
    }

    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            if (heap[i].heapIndex != i) {
                throw new IllegalStateException("heap slot mismatch at " + i);
            }
            if (i > 0 && heap[(i - 1) >>> 1].deadline > heap[i].deadline) {
                throw new IllegalStateException("heap order violated at " + i);
            }
        }
    }
}
