package org.poolkeeper.registrar.replication;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.Address;

/**
 * Where the writer of each shard runs, as the other registrars' last presences said: a session's command for a
 * shard written on another node goes straight to that node's relay, in a batch with the other commands for it,
 * rather than one message at a time through the shard region. A hint, never the truth: a shard that moved since
 * is still reached (the receiving node's shard region forwards it), and a shard without a known home goes through
 * this node's region. Written by the auditor, read by every session. Thread-safe.
 */
public final class ShardHomes {
    private final AtomicReferenceArray<Address> homes;
    /** Per peer: the shards its last presence announced (guarded by this). */
    private final Map<Address, Set<Integer>> announced = new HashMap<>();

    public ShardHomes(int numberOfShards) {
        this.homes = new AtomicReferenceArray<>(numberOfShards);
    }

    /** The node whose last presence announced the writer of {@code shard}, or null if none did. */
    public Address homeOf(int shard) {
        return homes.get(shard);
    }

    /** {@code peer}'s presence announced exactly these shards (each in range). */
    synchronized void announced(Address peer, Set<Integer> shards) {
        Set<Integer> before = announced.put(peer, shards);
        if (before != null) {
            for (int shard : before) {
                if (!shards.contains(shard)) {
                    clear(shard, peer);
                }
            }
        }
        for (int shard : shards) {
            homes.set(shard, peer);
        }
    }

    /** {@code peer} left the cluster: none of its shards is reached there any more. */
    synchronized void left(Address peer) {
        Set<Integer> before = announced.remove(peer);
        if (before != null) {
            for (int shard : before) {
                clear(shard, peer);
            }
        }
    }

    /**
     * Forgets {@code peer} as the home of {@code shard} unless another peer announced it since. By equality: the
     * addresses of one node come as different instances (presence, member event), so no compare-and-set by identity.
     * Writers hold this object's lock.
     */
    private void clear(int shard, Address peer) {
        if (peer.equals(homes.get(shard))) {
            homes.set(shard, null);
        }
    }
}
