package org.poolkeeper.handlespace;

import java.util.Arrays;

/**
 * The handlespace's expiry structure across pools: a binary min-heap of the non-empty pools keyed by each
 * pool's earliest PE deadline, so that the one writer of many pools needs one wake-up (the earliest deadline of
 * all) and finds the pools due in O(log pools) each. Each pool remembers its slot and the key it is filed
 * under; {@link Handlespace} re-files a pool after every change. Single-threaded, like its {@link Handlespace}.
 */
final class PoolDeadlines {
    private Pool[] heap = new Pool[8];
    private int size;

    int size() {
        return size;
    }

    Pool peek() {
        return size == 0 ? null : heap[0];
    }

    /** Files {@code pool} under {@code deadline}: adds it, or moves it when its key changed. O(log pools). */
    void file(Pool pool, long deadline) {
        if (pool.deadlineSlot < 0) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size + (size >> 1) + 1);
            }
            pool.filedDeadline = deadline;
            pool.deadlineSlot = size;
            heap[size++] = pool;
            siftUp(pool.deadlineSlot);
        } else if (pool.filedDeadline != deadline) {
            pool.filedDeadline = deadline;
            int i = pool.deadlineSlot;
            siftUp(i);
            if (heap[i] == pool) {
                siftDown(i);
            }
        }
    }

    void remove(Pool pool) {
        int i = pool.deadlineSlot;
        if (i < 0) {
            return;
        }
        pool.deadlineSlot = -1;
        Pool last = heap[--size];
        heap[size] = null;
        if (i != size) {
            heap[i] = last;
            last.deadlineSlot = i;
            siftDown(i);
            if (heap[i] == last) {
                siftUp(i);
            }
        }
        if (heap.length > 64 && size < heap.length >>> 2) {
            heap = Arrays.copyOf(heap, heap.length >>> 1);
        }
    }

    private void siftUp(int i) {
        Pool p = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Pool q = heap[parent];
            if (q.filedDeadline <= p.filedDeadline) {
                break;
            }
            heap[i] = q;
            q.deadlineSlot = i;
            i = parent;
        }
        heap[i] = p;
        p.deadlineSlot = i;
    }

    private void siftDown(int i) {
        Pool p = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            Pool c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].filedDeadline < c.filedDeadline) {
                child = right;
                c = heap[right];
            }
            if (p.filedDeadline <= c.filedDeadline) {
                break;
            }
            heap[i] = c;
            c.deadlineSlot = i;
            i = child;
        }
        heap[i] = p;
        p.deadlineSlot = i;
    }

    /** @throws IllegalStateException if a slot, a key or the heap order is wrong */
    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            Pool p = heap[i];
            if (p.deadlineSlot != i) {
                throw new IllegalStateException("pool deadline slot mismatch at " + i);
            }
            if (p.filedDeadline != p.nextDeadline()) {
                throw new IllegalStateException(p + " is filed under a stale deadline");
            }
            if (i > 0 && heap[(i - 1) >>> 1].filedDeadline > p.filedDeadline) {
                throw new IllegalStateException("pool deadline order violated at " + i);
            }
        }
    }
}
