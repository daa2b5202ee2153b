package org.poolkeeper.registrar.replication;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Pulls one shard's table from a registrar into this node's replica ({@link Inbox}): what a shard writer that
 * takes a shard over from a live registrar (a rebalance) does before it writes, so that it starts from the state
 * its predecessor left, not from a replica that may lag behind it.
 */
@FunctionalInterface
public interface ShardPuller {
    /** Pulls shard {@code shard} of registrar {@code writer}; {@code done} hears when the pull ended. */
    void pullShard(int writer, int shard, ActorRef<Inbox.PullDone> done);
}
