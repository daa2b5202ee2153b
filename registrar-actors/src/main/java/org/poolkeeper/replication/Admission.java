package org.poolkeeper.replication;

/** What a replica did with a delta ({@link ShardReplica#apply}). */
public enum Admission {
    /** Applied: the next change of the pool's current epoch (or the first of a pool the replica did not hold). */
    APPLIED,
    /** Applied: the first change of a newer writer incarnation, which may have started from other state: resync. */
    NEW_EPOCH,
    /** Already applied or older than what the replica holds: ignored. */
    STALE,
    /** Not the next change: dropped; the pool needs its writer's table (resync). */
    GAP;

    /** Whether the replica should pull the pool's table from its writer. */
    public boolean needsResync() {
        return this == NEW_EPOCH || this == GAP;
    }
}
