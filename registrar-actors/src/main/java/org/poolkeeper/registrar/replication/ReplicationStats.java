package org.poolkeeper.registrar.replication;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of this node's replication, for the status file and operators. Thread-safe. */
public final class ReplicationStats {
    final AtomicLong sentBatches = new AtomicLong();
    /** Protobuf payload bytes of the update batches sent, summed over peers (Artery's framing not included). */
    final AtomicLong sentBytes = new AtomicLong();
    final AtomicLong sentUpdates = new AtomicLong();
    final AtomicLong receivedUpdates = new AtomicLong();
    final AtomicLong overflows = new AtomicLong();
    final AtomicLong pulls = new AtomicLong();
    final AtomicLong badMessages = new AtomicLong();
    final AtomicLong takeovers = new AtomicLong();

    public long sentBatches() {
        return sentBatches.get();
    }

    public long sentBytes() {
        return sentBytes.get();
    }

    public long sentUpdates() {
        return sentUpdates.get();
    }

    public long receivedUpdates() {
        return receivedUpdates.get();
    }

    public long overflows() {
        return overflows.get();
    }

    /** Table pulls started (join, resync, audit repair). */
    public long pulls() {
        return pulls.get();
    }

    /** Registrar-protocol messages refused as malformed or unexpected. */
    public long badMessages() {
        return badMessages.get();
    }

    /** Shards whose writer this node started again after their registrar left. */
    public long takeovers() {
        return takeovers.get();
    }
}
