package org.poolkeeper.registrar;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.poolkeeper.protocol.Version;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.replication.ReplicationStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's status file ({@code poolkeeper.registrar.status-file}): one JSON object, {@link NodeStatus},
 * rewritten atomically (write, then rename) every audit interval, for tests, {@code deploy/bin/cluster} and
 * operators. Not part of any protocol.
 */
final class StatusFile {
    private static final Logger LOG = LoggerFactory.getLogger(StatusFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the file holds.
     *
     * @param ownerChecksums per home registrar ("0x…"): "checksum/PE count" of the PEs homed there
     */
    record NodeStatus(
            @JsonProperty("registrar_id") String registrarId,
            @JsonProperty("client_endpoint") String clientEndpoint,
            @JsonProperty("cluster_address") String clusterAddress,
            @JsonProperty("pid") long pid,
            @JsonProperty("version") String version,
            @JsonProperty("write_interval_ms") long writeIntervalMillis,
            @JsonProperty("ready") boolean ready,
            @JsonProperty("members") int members,
            @JsonProperty("peers") int peers,
            @JsonProperty("elements") int elements,
            @JsonProperty("pools") int pools,
            @JsonProperty("checksum") String checksum,
            @JsonProperty("gaps") long gaps,
            @JsonProperty("last_change_ms") long lastChangeMillis,
            @JsonProperty("written_at_ms") long writtenAtMillis,
            @JsonProperty("shards") int shards,
            @JsonProperty("hosted_shards") int hostedShards,
            @JsonProperty("resyncs") long resyncs,
            @JsonProperty("overflows") long overflows,
            @JsonProperty("sent_batches") long sentBatches,
            @JsonProperty("sent_updates") long sentUpdates,
            @JsonProperty("sent_bytes") long sentBytes,
            @JsonProperty("received_updates") long receivedUpdates,
            @JsonProperty("bad_messages") long badMessages,
            @JsonProperty("takeovers") long takeovers,
            @JsonProperty("heap_used_bytes") long heapUsedBytes,
            @JsonProperty("heap_after_gc_bytes") long heapAfterGcBytes,
            @JsonProperty("threads") int threads,
            @JsonProperty("owner_checksums") Map<String, String> ownerChecksums) {
    }

    private final Path file;
    private final Membership membership;
    private final NodeReplica replica;
    private final HostedShards hosted;
    private final ReplicationStats stats;
    private final BooleanSupplier ready;
    private final String host;
    private final IntSupplier asapPort;
    private final long intervalMillis;

    /**
     * @param host     the host this registrar announces to clients
     * @param asapPort its client port (0 until bound)
     * @param interval how often the file is rewritten (a file much older than that is stale)
     */
    StatusFile(Path file, Membership membership, NodeReplica replica, HostedShards hosted, ReplicationStats stats,
               BooleanSupplier ready, String host, IntSupplier asapPort, Duration interval) {
        this.host = host;
        this.asapPort = asapPort;
        this.intervalMillis = interval.toMillis();
        this.file = file;
        this.membership = membership;
        this.replica = replica;
        this.hosted = hosted;
        this.stats = stats;
        this.ready = ready;
    }

    NodeStatus status() {
        Map<String, String> owners = new LinkedHashMap<>();
        replica.homeChecksums().forEach((id, sum) -> owners.put(hex(id), Long.toHexString(sum[0]) + "/" + sum[1]));
        Runtime rt = Runtime.getRuntime();
        List<Membership.Registrar> peers = membership.upPeers();
        int port = asapPort.getAsInt();
        return new NodeStatus(hex(membership.self()), port == 0 ? null : host + ":" + port,
                membership.selfAddress().toString(), ProcessHandle.current().pid(), Version.current(), intervalMillis,
                ready.getAsBoolean(), membership.upMembers(), peers.size(),
                replica.elementCount(), replica.poolCount(), Long.toHexString(replica.checksum()), replica.gaps(),
                replica.lastChangeMillis(), System.currentTimeMillis(), replica.numberOfShards(), hosted.size(),
                stats.pulls(),
                stats.overflows(), stats.sentBatches(), stats.sentUpdates(), stats.sentBytes(),
                stats.receivedUpdates(), stats.badMessages(), stats.takeovers(), rt.totalMemory() - rt.freeMemory(),
                heapAfterLastGc(), java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount(), owners);
    }

    /** The heap in use right after the last collection of each heap pool (what a leak makes grow). */
    static long heapAfterLastGc() {
        long sum = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getCollectionUsage() != null) {
                sum += pool.getCollectionUsage().getUsed();
            }
        }
        return sum;
    }

    void write() {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, (JSON.writeValueAsString(status()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write the status file {}: {}", file, e.toString());
        }
    }

    private static String hex(int id) {
        return String.format("0x%08x", id);
    }
}
