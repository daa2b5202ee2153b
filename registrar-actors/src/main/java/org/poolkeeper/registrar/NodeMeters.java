package org.poolkeeper.registrar;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.replication.DeltaQueue;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.replication.ReplicationStats;

/** The node's gauges and counters read from its parts (replica, replication, membership), and the JVM's. */
final class NodeMeters {
    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    private NodeMeters() {
    }

    /** VmRSS of this process in bytes, or NaN if unreadable. */
    static double residentBytes() {
        try {
            for (String line : Files.readAllLines(PROC_STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").trim()) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: no figure
        }
        return Double.NaN;
    }

    static void bind(MeterRegistry registry, int registrarId, NodeReplica replica, ReplicationStats stats,
                     Membership membership, HostedShards hosted, DeltaQueue deltas, BooleanSupplier ready) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (Files.isReadable(PROC_STATUS)) {
            Gauge.builder("process.resident.memory", NodeMeters::residentBytes).baseUnit("bytes")
                    .description("Resident set size of the process (VmRSS, Linux)").register(registry);
        }

        Gauge.builder("poolkeeper.pool.elements", replica, NodeReplica::elementsNow)
                .description("PEs in this registrar's replica of the handlespace").register(registry);
        Gauge.builder("poolkeeper.pools", replica, NodeReplica::poolsNow)
                .description("Pools in this registrar's replica of the handlespace").register(registry);
        Gauge.builder("poolkeeper.shards.hosted", hosted, HostedShards::size)
                .description("Shards whose writer runs on this registrar").register(registry);
        Gauge.builder("poolkeeper.members.up", membership, Membership::upMembers)
                .description("Cluster members Up, as this registrar sees them").register(registry);
        Gauge.builder("poolkeeper.ready", ready, r -> r.getAsBoolean() ? 1 : 0)
                .description("1 when the registrar has joined, pulled, bound its client port and serves")
                .strongReference(true) // the supplier is referenced only here
                .register(registry);
        Gauge.builder("poolkeeper.replication.backlog", deltas, DeltaQueue::size)
                .description("Changes written here and not yet sent to the other registrars").register(registry);
        counter(registry, "poolkeeper.replication.batches.sent", stats, ReplicationStats::sentBatches,
                "HandleUpdate batches sent to the other registrars");
        counter(registry, "poolkeeper.replication.updates.sent", stats, ReplicationStats::sentUpdates,
                "Handle updates sent to the other registrars");
        counter(registry, "poolkeeper.replication.bytes.sent", stats, ReplicationStats::sentBytes,
                "Bytes of HandleUpdate batches sent");
        counter(registry, "poolkeeper.replication.updates.received", stats, ReplicationStats::receivedUpdates,
                "Handle updates received from the other registrars");
        counter(registry, "poolkeeper.replication.pulls", stats, ReplicationStats::pulls,
                "Tables pulled from other registrars (join, gaps, audit mismatches)");
        counter(registry, "poolkeeper.replication.overflows", stats, ReplicationStats::overflows,
                "Times the outgoing buffer overflowed (peers then resync)");
        counter(registry, "poolkeeper.replication.bad.messages", stats, ReplicationStats::badMessages,
                "Registrar messages rejected as malformed or unexpected");
        counter(registry, "poolkeeper.replication.gaps", replica, NodeReplica::gaps,
                "Gaps seen in other registrars' updates (each resynced)");
        counter(registry, "poolkeeper.replication.audit.mismatches", stats, ReplicationStats::auditMismatches,
                "Shards the audit found different from their writer's table (each pulled again)");
        counter(registry, "poolkeeper.takeovers", stats, ReplicationStats::takeovers,
                "Shards taken over from a registrar that left");
        bindPeers(registry, stats);
    }

    /** Each peer's meters, from when it is first named until it leaves the cluster. */
    static void bindPeers(MeterRegistry registry, ReplicationStats stats) {
        stats.onEachPeer(peer -> bindPeer(registry, peer));
        stats.onPeerLeft(peer -> {
            String id = peerTag(peer);
            for (Meter m : List.copyOf(registry.getMeters())) {
                if (m.getId().getName().startsWith("poolkeeper.peer.") && id.equals(m.getId().getTag("peer"))) {
                    registry.remove(m);
                }
            }
        });
    }

    private static String peerTag(ReplicationStats.Peer peer) {
        return String.format(java.util.Locale.ROOT, "0x%08x", peer.registrarId());
    }

    /** One registrar's share of the replication traffic, tagged {@code peer="0x1a2b3c4d"}. */
    private static void bindPeer(MeterRegistry registry, ReplicationStats.Peer peer) {
        String id = peerTag(peer);
        peerCounter(registry, "poolkeeper.peer.batches.sent", id, peer, ReplicationStats.Peer::sentBatches,
                "HandleUpdate batches sent to one registrar");
        peerCounter(registry, "poolkeeper.peer.updates.sent", id, peer, ReplicationStats.Peer::sentUpdates,
                "Handle updates sent to one registrar");
        peerCounter(registry, "poolkeeper.peer.bytes.sent", id, peer, ReplicationStats.Peer::sentBytes,
                "Bytes of HandleUpdate batches sent to one registrar");
        peerCounter(registry, "poolkeeper.peer.batches.received", id, peer, ReplicationStats.Peer::receivedBatches,
                "HandleUpdate batches received from one registrar");
        peerCounter(registry, "poolkeeper.peer.updates.received", id, peer, ReplicationStats.Peer::receivedUpdates,
                "Well-formed handle updates received from one registrar");
        peerCounter(registry, "poolkeeper.peer.bytes.received", id, peer, ReplicationStats.Peer::receivedBytes,
                "Bytes of HandleUpdate batches received from one registrar");
    }

    private static void peerCounter(MeterRegistry registry, String name, String peerId, ReplicationStats.Peer peer,
                                    ToDoubleFunction<ReplicationStats.Peer> value, String description) {
        FunctionCounter.builder(name, peer, value).tag("peer", peerId).description(description).register(registry);
    }

    private static <T> void counter(MeterRegistry registry, String name, T source, ToDoubleFunction<T> value,
                                    String description) {
        FunctionCounter.builder(name, source, value).description(description).register(registry);
    }
}
