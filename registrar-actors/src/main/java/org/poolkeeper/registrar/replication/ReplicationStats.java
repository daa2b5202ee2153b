package org.poolkeeper.registrar.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Counters of this node's replication, for the status file and operators. Thread-safe. */
public final class ReplicationStats {
    /** What this node sent to, and received from, one other registrar. */
    public static final class Peer {
        private final int registrarId;
        final AtomicLong sentBatches = new AtomicLong();
        final AtomicLong sentUpdates = new AtomicLong();
        final AtomicLong sentBytes = new AtomicLong();
        final AtomicLong receivedBatches = new AtomicLong();
        final AtomicLong receivedUpdates = new AtomicLong();
        final AtomicLong receivedBytes = new AtomicLong();

        Peer(int registrarId) {
            this.registrarId = registrarId;
        }

        public int registrarId() {
            return registrarId;
        }

        public long sentBatches() {
            return sentBatches.get();
        }

        public long sentUpdates() {
            return sentUpdates.get();
        }

        /** Protobuf payload bytes of the batches sent to this peer (Artery's framing not included). */
        public long sentBytes() {
            return sentBytes.get();
        }

        public long receivedBatches() {
            return receivedBatches.get();
        }

        /** Updates received from this peer that were well-formed. */
        public long receivedUpdates() {
            return receivedUpdates.get();
        }

        public long receivedBytes() {
            return receivedBytes.get();
        }
    }

    /** Peers seen so far, by registrar id: only cluster members get one, so the map stays small. */
    private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
    private final List<Consumer<Peer>> peerListeners = new ArrayList<>();
    private final List<Consumer<Peer>> leaveListeners = new ArrayList<>();
    final AtomicLong auditMismatches = new AtomicLong();
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

    /** Shards the audit found different from their writer's table (each pulled again). */
    public long auditMismatches() {
        return auditMismatches.get();
    }

    /** The counters of one peer (a cluster member), created the first time it is named. */
    public Peer peer(int registrarId) {
        Peer peer = peers.get(registrarId);
        return peer != null ? peer : newPeer(registrarId);
    }

    private synchronized Peer newPeer(int registrarId) {
        Peer peer = peers.get(registrarId);
        if (peer == null) {
            peer = new Peer(registrarId);
            peers.put(registrarId, peer);
            for (Consumer<Peer> listener : peerListeners) {
                listener.accept(peer);
            }
        }
        return peer;
    }

    /**
     * {@code registrarId} left the cluster: its counters go, and with them its meters (a restarted registrar
     * comes back with a new id, so keeping them would grow the metrics with every restart of a peer).
     */
    public synchronized void peerLeft(int registrarId) {
        Peer peer = peers.remove(registrarId);
        if (peer != null) {
            for (Consumer<Peer> listener : leaveListeners) {
                listener.accept(peer);
            }
        }
    }

    /** Calls {@code listener} for each peer {@link #peerLeft} removes from now on. */
    public synchronized void onPeerLeft(Consumer<Peer> listener) {
        leaveListeners.add(listener);
    }

    /** Calls {@code listener} for every peer seen so far, and then for each new one as it is first named. */
    public synchronized void onEachPeer(Consumer<Peer> listener) {
        peerListeners.add(listener);
        peers.values().forEach(listener);
    }

    /** Shards whose writer this node started again after their registrar left. */
    public long takeovers() {
        return takeovers.get();
    }
}
