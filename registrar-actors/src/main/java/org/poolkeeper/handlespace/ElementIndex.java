package org.poolkeeper.handlespace;

import java.util.Arrays;

/**
 * The pool's index by PE identifier: a hash table with chains threaded through the PEs themselves
 * ({@code hashNext}), so it costs one reference slot per PE and nothing per lookup. Expected O(1).
 * Single-threaded, like its {@link Pool}.
 */
final class ElementIndex {
    private static final int MIN_CAPACITY = 8;

    private PoolElement[] table = new PoolElement[MIN_CAPACITY];
    private int size;

    private static int slot(int id, int mask) {
        int h = id * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    int size() {
        return size;
    }

    PoolElement get(int id) {
        PoolElement e = table[slot(id, table.length - 1)];
        while (e != null && e.id != id) {
            e = e.hashNext;
        }
        return e;
    }

    /** Adds a PE whose id is not in the index. */
    void put(PoolElement e) {
        if (size >= table.length) {
            resize(table.length << 1);
        }
        int i = slot(e.id, table.length - 1);
        e.hashNext = table[i];
        table[i] = e;
        size++;
    }

    void remove(PoolElement e) {
        int i = slot(e.id, table.length - 1);
        PoolElement x = table[i];
        if (x == e) {
            table[i] = e.hashNext;
        } else {
            while (x.hashNext != e) {
                x = x.hashNext;
            }
            x.hashNext = e.hashNext;
        }
        e.hashNext = null;
        size--;
        if (table.length > MIN_CAPACITY && size < table.length >>> 3) {
            resize(table.length >>> 1);
        }
    }

    private void resize(int capacity) {
        PoolElement[] old = table;
        table = new PoolElement[capacity];
        int mask = capacity - 1;
        for (PoolElement head : old) {
            for (PoolElement e = head; e != null; ) {
                PoolElement next = e.hashNext;
                int i = slot(e.id, mask);
                e.hashNext = table[i];
                table[i] = e;
                e = next;
            }
        }
        Arrays.fill(old, null);
    }
}
