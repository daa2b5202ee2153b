package org.poolkeeper.registrar;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.poolkeeper.protocol.Version;
import org.poolkeeper.protocol.wire.MemberStatus;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.registrar.endpoint.AsapEndpoint;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.replication.DeltaQueue;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.replication.PeerEndpoints;
import org.poolkeeper.registrar.replication.ReplicationStats;

/** What a registrar says about itself and its view of the cluster when asked (StatusRequest). Thread-safe. */
final class NodeView implements AsapEndpoint.StatusSource {
    private final int self;
    private final String host;
    private final IntSupplier asapPort;
    private final Cluster cluster;
    private final NodeReplica replica;
    private final HostedShards hosted;
    private final ReplicationStats stats;
    private final DeltaQueue deltas;
    private final PeerEndpoints peers;
    private final BooleanSupplier ready;
    private final long startNanos = System.nanoTime();

    /**
     * @param host     the host this registrar announces to clients
     * @param asapPort its client port (0 until bound)
     * @param ready    whether it serves: joined, pulled, bound, not on its way out
     */
    NodeView(int self, String host, IntSupplier asapPort, Cluster cluster, NodeReplica replica, HostedShards hosted,
             ReplicationStats stats, DeltaQueue deltas, PeerEndpoints peers, BooleanSupplier ready) {
        this.self = self;
        this.host = host;
        this.asapPort = asapPort;
        this.cluster = cluster;
        this.replica = replica;
        this.hosted = hosted;
        this.stats = stats;
        this.deltas = deltas;
        this.peers = peers;
        this.ready = ready;
    }

    @Override
    public StatusResponse status(long requestId) {
        RegistrarEndpoint mine = RegistrarEndpoint.newBuilder().setRegistrarId(self).setHost(host)
                .setPort(asapPort.getAsInt()).build();
        Map<Integer, RegistrarEndpoint> endpoints = new HashMap<>();
        for (RegistrarEndpoint e : peers.all()) {
            endpoints.put(e.getRegistrarId(), e);
        }
        endpoints.put(self, mine);
        StatusResponse.Builder status = StatusResponse.newBuilder()
                .setRequestId(requestId)
                .setRegistrarId(self)
                .setClientEndpoint(mine)
                .setClusterAddress(cluster.selfMember().address().toString())
                .setReady(ready.getAsBoolean())
                .setPools(replica.poolCount())
                .setElements(replica.elementCount())
                .setChecksum(replica.checksum())
                .setUptimeMs((System.nanoTime() - startNanos) / 1_000_000)
                .setReplicationBacklog(deltas.size())
                .setReplicationGaps(replica.gaps())
                .setReplicationPulls(stats.pulls())
                .setShards(replica.numberOfShards())
                .setHostedShards(hosted.size())
                .setVersion(Version.current());
        Set<Member> unreachable = cluster.state().getUnreachable();
        for (Member m : cluster.state().getMembers()) {
            int id = Membership.registrarId(m);
            MemberStatus.Builder member = MemberStatus.newBuilder()
                    .setRegistrarId(id)
                    .setClusterAddress(m.address().toString())
                    .setStatus(m.status().toString())
                    .setReachable(!unreachable.contains(m));
            RegistrarEndpoint endpoint = endpoints.get(id);
            if (id != 0 && endpoint != null) {
                member.setClientEndpoint(endpoint);
            }
            status.addMembers(member);
        }
        return status.build();
    }
}
