package org.poolkeeper.handlespace;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The handlespace's ownership index: home registrar id to its PEs (a doubly linked list threaded through
 * the PEs), each owner's PE count and checksum ({@link Checksums}). Every update is O(1).
 * Single-threaded, like its {@link Handlespace}.
 */
final class OwnerIndex {
    static final class Owner {
        final int id;
        PoolElement head;
        int count;
        long checksum;

        Owner(int id) {
            this.id = id;
        }
    }

    private Owner[] owners = new Owner[4];
    private int ownerCount;
    private Owner last; // registrations come in runs from the same home registrar
    private int totalCount;
    private long totalChecksum;

    Owner find(int id) {
        Owner cached = last;
        if (cached != null && cached.id == id) {
            return cached;
        }
        for (int i = 0; i < ownerCount; i++) {
            if (owners[i].id == id) {
                return last = owners[i];
            }
        }
        return null;
    }

    private Owner findOrCreate(int id) {
        Owner owner = find(id);
        if (owner == null) {
            if (ownerCount == owners.length) {
                owners = Arrays.copyOf(owners, ownerCount * 2);
            }
            owner = new Owner(id);
            owners[ownerCount++] = owner;
            last = owner;
        }
        return owner;
    }

    void add(PoolElement e, long contribution) {
        Owner owner = findOrCreate(e.homeRegistrarId);
        e.ownerPrev = null;
        e.ownerNext = owner.head;
        if (owner.head != null) {
            owner.head.ownerPrev = e;
        }
        owner.head = e;
        owner.count++;
        owner.checksum += contribution;
        totalCount++;
        totalChecksum += contribution;
    }

    void remove(PoolElement e, long contribution) {
        Owner owner = find(e.homeRegistrarId);
        if (e.ownerPrev != null) {
            e.ownerPrev.ownerNext = e.ownerNext;
        } else {
            owner.head = e.ownerNext;
        }
        if (e.ownerNext != null) {
            e.ownerNext.ownerPrev = e.ownerPrev;
        }
        e.ownerPrev = null;
        e.ownerNext = null;
        owner.count--;
        owner.checksum -= contribution;
        totalCount--;
        totalChecksum -= contribution;
    }

    int totalCount() {
        return totalCount;
    }

    long totalChecksum() {
        return totalChecksum;
    }

    /** Ids of the owners that hold at least one PE, ascending (unsigned). */
    int[] ownerIds() {
        int[] ids = new int[ownerCount];
        int n = 0;
        for (int i = 0; i < ownerCount; i++) {
            if (owners[i].count > 0) {
                ids[n++] = owners[i].id;
            }
        }
        ids = Arrays.copyOf(ids, n);
        for (int i = 0; i < n; i++) {
            ids[i] ^= Integer.MIN_VALUE; // sort unsigned
        }
        Arrays.sort(ids);
        for (int i = 0; i < n; i++) {
            ids[i] ^= Integer.MIN_VALUE;
        }
        return ids;
    }

    void forEachOwned(int id, Consumer<PoolElement> action) {
        Owner owner = find(id);
        if (owner == null) {
            return;
        }
        for (PoolElement e = owner.head; e != null; ) {
            PoolElement next = e.ownerNext; // the action may remove e
            action.accept(e);
            e = next;
        }
    }
}
