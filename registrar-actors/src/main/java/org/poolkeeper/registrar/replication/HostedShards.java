package org.poolkeeper.registrar.replication;

import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;

/**
 * The shards whose writer runs on this node now: each shard writer adds its shard when it starts and removes it
 * when it stops. The audit announces their checksums; the takeover and the orphan check read them. Thread-safe.
 */
public final class HostedShards {
    private final Set<Integer> shards = ConcurrentHashMap.newKeySet();

    public void started(int shard) {
        shards.add(shard);
    }

    public void stopped(int shard) {
        shards.remove(shard);
    }

    public boolean contains(int shard) {
        return shards.contains(shard);
    }

    /** A copy, ascending. */
    public java.util.SortedSet<Integer> snapshot() {
        return new java.util.TreeSet<>(shards);
    }

    public int size() {
        return shards.size();
    }
}
