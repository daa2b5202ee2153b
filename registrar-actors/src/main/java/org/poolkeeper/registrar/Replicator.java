package org.poolkeeper.registrar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.HandleTableRequest;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.protocol.wire.Presence;
import org.poolkeeper.protocol.wire.ShardChecksum;

/**
 * The node's replication actor (ENRP-style): one per registrar node, registered with the Receptionist under
 * {@link #KEY}. Across JVMs it only exchanges protobuf {@link EnrpMessage}s; everything else it receives is
 * local.
 *
 * <ul>
 *   <li><b>Out:</b> the deltas of this node's PoolActors ({@link DeltaHub}) enter a bounded
 *   {@code Source.queue} and leave through {@code groupedWithin(batch-size, batch-interval)}; each group
 *   becomes one {@link HandleUpdateBatch} told to every peer. When the queue overflows, deltas are dropped and
 *   every peer gets a batch with {@code resync_required}: it pulls this node's whole table (never silently
 *   behind).</li>
 *   <li><b>In:</b> updates are applied to the {@link Replica} in order; a gap or a new writer epoch makes the
 *   pool's table be pulled from its writer.</li>
 *   <li><b>Tables</b> (resync, audit repair, join) are pulled block by block with credit: the first request asks
 *   for {@link #BLOCKS_IN_FLIGHT} blocks, and each block the requester has applied asks for one more (by
 *   {@code cursor}), so at most that many blocks of {@code max-elements-per-block} PEs per pull are in flight
 *   (back-pressure). Each pool is applied
 *   as its block arrives (a pool larger than a block is one snapshot sent in parts; the deltas of that pool that
 *   arrive between its parts are held back and applied after it); at the end the writer's pools in scope that
 *   the table did not list and that got no delta meanwhile are swept ({@link Replica#applyPool},
 *   {@link Replica#sweep}).</li>
 *   <li><b>Audit:</b> every {@code audit-interval} a {@link Presence} with the per-shard checksums of the pools
 *   this node writes goes to every peer; a shard that mismatches in two presences in a row is pulled.</li>
 *   <li><b>Join:</b> at start the tables of all peers are pulled; {@link #ready()} completes when every peer
 *   answered (or after {@code join-timeout}).</li>
 *   <li><b>Node loss:</b> when a registrar is removed from the cluster, the pools this node writes get an
 *   {@link PoolActor.Orphaned} for its PEs (takeover grace).</li>
 * </ul>
 */
public final class Replicator extends AbstractBehavior<Object> {

    public static final ServiceKey<EnrpMessage> KEY = ServiceKey.create(EnrpMessage.class, "poolkeeper-replicator");

    private record LocalBatch(List<Delta> deltas) {
    }

    private enum Overflowed { INSTANCE }

    private enum Tick { INSTANCE }

    private enum JoinTimeout { INSTANCE }

    private record PeersChanged(Receptionist.Listing listing) {
    }

    private record MemberEvent(ClusterEvent.MemberEvent event) {
    }

    /**
     * A table pull in progress: at most {@link #BLOCKS_IN_FLIGHT} blocks requested and not yet applied (one more
     * is asked for when a block has been applied), so a large table never floods the writer, the network or this
     * node.
     */
    private static final class Pull {
        final int writer;
        final Set<Integer> shards;
        final Set<PoolHandle> handles;
        final HandleTableRequest.Builder request;
        /** Pools the table listed so far. */
        final Set<PoolHandle> listed = new HashSet<>();
        /** Pools of the writer whose deltas were applied during the pull: kept by the sweep. */
        final Set<PoolHandle> touched = new HashSet<>();
        /** The parts of a pool larger than a block received so far, and the deltas held back for it meanwhile. */
        PoolEntries.Builder partial;
        PoolHandle partialHandle;
        final List<Delta> held = new ArrayList<>();
        final long startedNanos = System.nanoTime();
        long progressNanos = startedNanos;
        int blocks;
        int changes;

        Pull(int writer, Set<Integer> shards, Set<PoolHandle> handles, HandleTableRequest.Builder request) {
            this.writer = writer;
            this.shards = shards;
            this.handles = handles;
            this.request = request;
        }
    }

    /** A table this node sends block by block, each block asked for by the requester. */
    private static final class Export {
        final ActorRef<EnrpMessage> peer;
        final Replica.TableExport table;
        final int maxElementsPerBlock;
        /** The cursor the next request carries: the number of blocks sent. */
        long nextCursor;
        long usedNanos = System.nanoTime();

        Export(ActorRef<EnrpMessage> peer, Replica.TableExport table, int maxElementsPerBlock) {
            this.peer = peer;
            this.table = table;
            this.maxElementsPerBlock = maxElementsPerBlock;
        }
    }

    private record ExportKey(int requester, long requestId) {
    }

    /**
     * Blocks of one table pull in flight: enough to hide a round trip between registrars behind the applying of
     * the blocks already received, few enough (4 × max-elements-per-block PEs) to bound what a pull buffers.
     */
    private static final int BLOCKS_IN_FLIGHT = 4;

    /** Pulls and exports nobody advanced for this long are dropped (their peer is gone or restarted). */
    private static final long STALE_NANOS = 10_000_000_000L;

    /** @param ready completed once the join pull is done (or timed out); then the node may host pools */
    public static Behavior<Object> create(CompletableFuture<Done> ready) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Replicator(ctx, timers, ready)));
    }

    private final RegistrarNode node;
    private final Replica replica;
    private final int self;
    private final int shards;
    private final ClusterSettings settings;
    private final CompletableFuture<Done> ready;
    private final Cluster cluster;
    private final Map<Integer, ActorRef<EnrpMessage>> peers = new HashMap<>();
    private Set<ActorRef<EnrpMessage>> listed = Set.of();
    private final Map<Long, Pull> pulls = new HashMap<>();
    private final Map<ExportKey, Export> exports = new HashMap<>();
    private final Map<PoolHandle, Long> resyncing = new HashMap<>();
    private final Map<Integer, Set<Integer>> lastMismatch = new HashMap<>();
    /** Peers whose initial table has been pulled (join). */
    private final Set<Integer> joined = new HashSet<>();
    private final Set<Integer> joinPending = new HashSet<>();
    private final BoundedSourceQueue<Delta> queue;
    private long nextRequestId;
    private long sentBatches;
    /** Protobuf payload bytes of the update batches sent, summed over peers (Artery's framing not included). */
    private long sentBytes;
    private long receivedUpdates;
    private long resyncs;
    private boolean overflowed;
    private long overflows;

    private Replicator(ActorContext<Object> ctx, TimerScheduler<Object> timers, CompletableFuture<Done> ready) {
        super(ctx);
        this.node = RegistrarNode.get(ctx.getSystem());
        this.replica = node.replica();
        this.self = node.registrarId();
        this.shards = node.settings().numberOfShards();
        this.settings = node.cluster();
        this.ready = ready;
        this.cluster = Cluster.get(ctx.getSystem());
        ActorRef<Object> me = ctx.getSelf();
        this.queue = Source.<Delta>queue(settings.bufferSize())
                .groupedWithin(settings.batchSize(), settings.batchInterval())
                .toMat(Sink.foreach(batch -> me.tell(new LocalBatch(batch))), Keep.left())
                .run(ctx.getSystem());
        node.deltas().subscribe(delta -> {
            if (queue.offer(delta) != QueueOfferResult.enqueued()) {
                me.tell(Overflowed.INSTANCE);
            }
        });
        ctx.getSystem().receptionist().tell(Receptionist.register(KEY, me.narrow()));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY,
                ctx.messageAdapter(Receptionist.Listing.class, PeersChanged::new)));
        cluster.subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberEvent::new), ClusterEvent.MemberEvent.class));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.auditInterval());
        // join: pull the table of every other registrar that is up now
        for (int id : PoolActor.liveRegistrars(ctx.getSystem())) {
            if (id != self) {
                joinPending.add(id);
            }
        }
        if (joinPending.isEmpty()) {
            ready.complete(Done.getInstance());
        } else {
            timers.startSingleTimer(JoinTimeout.INSTANCE, settings.joinTimeout());
        }
    }

    @Override
    public Receive<Object> createReceive() {
        return newReceiveBuilder()
                .onMessage(LocalBatch.class, this::onLocalBatch)
                .onMessage(EnrpMessage.class, this::onEnrp)
                .onMessage(PeersChanged.class, this::onPeersChanged)
                .onMessage(MemberEvent.class, this::onMemberEvent)
                .onMessageEquals(Overflowed.INSTANCE, this::onOverflowed)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessageEquals(JoinTimeout.INSTANCE, this::onJoinTimeout)
                .build();
    }

    // ------------------------------------------------------------------ out

    private Behavior<Object> onLocalBatch(LocalBatch batch) {
        HandleUpdateBatch.Builder b = HandleUpdateBatch.newBuilder().setSenderRegistrarId(self);
        for (Delta d : batch.deltas()) {
            b.addUpdates(WireMapping.handleUpdate(d));
        }
        if (overflowed) {
            b.setResyncRequired(true);
            overflowed = false;
        }
        EnrpMessage message = EnrpMessage.newBuilder().setHandleUpdateBatch(b).build();
        for (ActorRef<EnrpMessage> peer : peers.values()) {
            peer.tell(message);
        }
        sentBatches++;
        sentBytes += (long) message.getSerializedSize() * peers.size(); // memoized: the serializer needs it anyway
        return this;
    }

    private Behavior<Object> onOverflowed() {
        overflows++;
        if (!overflowed) {
            getContext().getLog().warn("replication buffer overflowed: peers will resync this node's table");
            overflowed = true;
            // tell at once: the next batch may be long in coming
            EnrpMessage message = EnrpMessage.newBuilder().setHandleUpdateBatch(HandleUpdateBatch.newBuilder()
                    .setSenderRegistrarId(self).setResyncRequired(true)).build();
            peers.values().forEach(p -> p.tell(message));
        }
        return this;
    }

    // ------------------------------------------------------------------ in

    private Behavior<Object> onEnrp(EnrpMessage message) {
        switch (message.getBodyCase()) {
            case HANDLE_UPDATE_BATCH -> onBatch(message.getHandleUpdateBatch());
            case PRESENCE -> onPresence(message.getPresence());
            case HANDLE_TABLE_REQUEST -> onTableRequest(message.getHandleTableRequest());
            case HANDLE_TABLE_RESPONSE -> onTableResponse(message.getHandleTableResponse());
            default -> getContext().getLog().warn("empty ENRP message");
        }
        return this;
    }

    private void onBatch(HandleUpdateBatch batch) {
        Map<Integer, Set<PoolHandle>> resync = new HashMap<>();
        for (HandleUpdate update : batch.getUpdatesList()) {
            receivedUpdates++;
            Delta delta;
            try {
                delta = WireMapping.delta(update);
            } catch (WireMapping.InvalidWireValueException e) {
                getContext().getLog().warn("bad update from registrar {}: {}", hex(batch.getSenderRegistrarId()),
                        e.getMessage());
                continue;
            }
            if (!pulls.isEmpty() && duringPulls(delta)) {
                continue; // held back until its pool's last part arrived
            }
            if (resyncing.containsKey(delta.poolHandle())) {
                replica.applyDelta(delta); // in order after the table arrived, else dropped
                continue;
            }
            Replica.Applied applied = replica.applyDelta(delta);
            if (applied == Replica.Applied.GAP || applied == Replica.Applied.NEW_EPOCH) {
                resync.computeIfAbsent(delta.writerRegistrarId(), k -> new HashSet<>()).add(delta.poolHandle());
            }
        }
        resync.forEach((writer, handles) -> {
            long now = System.nanoTime();
            handles.forEach(h -> resyncing.put(h, now));
            pull(writer, Set.of(), handles);
        });
        if (batch.getResyncRequired()) {
            pull(batch.getSenderRegistrarId(), Set.of(), Set.of());
        }
    }

    private void onPresence(Presence presence) {
        int sender = presence.getSenderRegistrarId();
        if (presence.getAsapPort() != 0 && peers.containsKey(sender)) {
            node.peerEndpoints().put(sender, org.poolkeeper.protocol.wire.RegistrarEndpoint.newBuilder()
                    .setRegistrarId(sender).setHost(presence.getAsapHost()).setPort(presence.getAsapPort()).build());
        }
        Map<Integer, long[]> mine = replica.shardChecksums(sender, shards);
        Set<Integer> mismatched = new HashSet<>();
        Set<Integer> theirs = new HashSet<>();
        for (ShardChecksum c : presence.getShardChecksumsList()) {
            theirs.add(c.getShardId());
            long[] m = mine.get(c.getShardId());
            if (m == null ? c.getElementCount() != 0 : m[0] != c.getChecksum() || m[1] != c.getElementCount()) {
                mismatched.add(c.getShardId());
            }
        }
        for (Map.Entry<Integer, long[]> m : mine.entrySet()) {
            if (!theirs.contains(m.getKey()) && m.getValue()[1] != 0) {
                mismatched.add(m.getKey());
            }
        }
        Set<Integer> previous = lastMismatch.getOrDefault(sender, Set.of());
        Set<Integer> confirmed = new HashSet<>(mismatched);
        confirmed.retainAll(previous);
        lastMismatch.put(sender, mismatched);
        if (!confirmed.isEmpty() && pulls.values().stream().noneMatch(p -> p.writer == sender)) {
            getContext().getLog().info("audit: {} shard(s) differ from registrar {}: pulling them", confirmed.size(),
                    hex(sender));
            pull(sender, confirmed, Set.of());
        }
    }

    /**
     * For a delta arriving while pulls run: holds it back if its pool is being received in parts (its parts are
     * one snapshot older than the delta), and notes the pools of the pulled writer that are alive.
     *
     * @return true if the delta was held back
     */
    private boolean duringPulls(Delta delta) {
        for (Pull pull : pulls.values()) {
            if (delta.poolHandle().equals(pull.partialHandle)) {
                pull.held.add(delta);
                return true;
            }
            if (pull.writer == delta.writerRegistrarId()) {
                pull.touched.add(delta.poolHandle());
            }
        }
        return false;
    }

    private void onTableRequest(HandleTableRequest request) {
        ExportKey key = new ExportKey(request.getSenderRegistrarId(), request.getRequestId());
        Export export;
        if (request.getCursor() == 0) {
            ActorRef<EnrpMessage> peer = request.getReplyTo().isEmpty() ? peers.get(request.getSenderRegistrarId())
                    : ActorRefResolver.get(getContext().getSystem()).resolveActorRef(request.getReplyTo());
            if (peer == null) {
                return; // not known yet: it asks again
            }
            Set<PoolHandle> handles = new HashSet<>();
            request.getPoolHandlesList().forEach(h -> handles.add(WireMapping.poolHandle(h)));
            int max = request.getMaxElementsPerBlock() == 0 ? settings.maxElementsPerBlock()
                    : Math.min(request.getMaxElementsPerBlock(), settings.maxElementsPerBlock());
            export = new Export(peer, replica.exportTable(self, new HashSet<>(request.getShardIdsList()), handles,
                    shards), max);
            exports.put(key, export);
        } else {
            export = exports.get(key);
            if (export == null || export.nextCursor != request.getCursor()) {
                return; // unknown or out of order (an old request): the requester's pull times out and retries
            }
        }
        int count = Math.max(1, Math.min(BLOCKS_IN_FLIGHT, request.getBlocks()));
        boolean more = true;
        for (int i = 0; i < count && more; i++) {
            List<PoolEntries> block = replica.nextBlock(export.table, export.maxElementsPerBlock);
            more = export.table.hasMore();
            export.nextCursor++;
            export.peer.tell(EnrpMessage.newBuilder().setHandleTableResponse(HandleTableResponse.newBuilder()
                    .setRequestId(request.getRequestId()).addAllPools(block).setMoreToSend(more)
                    .setNextCursor(export.nextCursor).setSenderRegistrarId(self)).build());
        }
        export.usedNanos = System.nanoTime();
        if (!more) {
            exports.remove(key);
        }
    }

    private void onTableResponse(HandleTableResponse response) {
        Pull pull = pulls.get(response.getRequestId());
        if (pull == null) {
            return;
        }
        pull.blocks++;
        pull.progressNanos = System.nanoTime();
        for (PoolEntries entries : response.getPoolsList()) {
            PoolHandle handle = WireMapping.poolHandle(entries.getPoolHandle());
            pull.listed.add(handle);
            if (pull.partial != null && handle.equals(pull.partialHandle)) {
                pull.partial.addAllElements(entries.getElementsList());
            } else if (entries.getContinued()) {
                pull.partial = entries.toBuilder();
                pull.partialHandle = handle;
            } else {
                pull.changes += replica.applyPool(pull.writer, entries);
            }
            if (!entries.getContinued() && handle.equals(pull.partialHandle)) {
                pull.changes += replica.applyPool(pull.writer, pull.partial.setContinued(false).build());
                pull.partial = null;
                pull.partialHandle = null;
                pull.held.forEach(replica::applyDelta); // in order after the pool's snapshot, else dropped
                pull.held.clear();
            }
        }
        if (response.getMoreToSend()) {
            // one block applied: ask for the one after those still in flight (the writer ignores a request
            // beyond the end of its table)
            ActorRef<EnrpMessage> peer = peers.get(pull.writer);
            if (peer != null) {
                peer.tell(EnrpMessage.newBuilder().setHandleTableRequest(pull.request
                        .setCursor(response.getNextCursor() + BLOCKS_IN_FLIGHT - 1).setBlocks(1)).build());
            }
            return; // a writer that left: the pull goes stale and is dropped
        }
        pulls.remove(response.getRequestId());
        pull.changes += replica.sweep(pull.writer, pull.listed, pull.touched, pull.shards, pull.handles, shards);
        pull.handles.forEach(resyncing::remove);
        if (pull.changes > 0 || pull.handles.isEmpty()) {
            getContext().getLog().debug("table of registrar {}: {} pools in {} blocks, {} changes in {} ms",
                    hex(pull.writer), pull.listed.size(), pull.blocks, pull.changes,
                    (System.nanoTime() - pull.startedNanos) / 1_000_000);
        }
        if (pull.shards.isEmpty() && pull.handles.isEmpty() && joinPending.remove(pull.writer)) {
            joined.add(pull.writer);
            getContext().getLog().info("join: pulled the table of registrar {} ({} pools, {} blocks; {} PEs in the "
                    + "replica now) in {} ms",
                    hex(pull.writer), pull.listed.size(), pull.blocks, replica.elementCount(),
                    (System.nanoTime() - pull.startedNanos) / 1_000_000);
            if (joinPending.isEmpty()) {
                ready.complete(Done.getInstance());
            }
        }
    }

    private void pull(int writer, Set<Integer> shardIds, Set<PoolHandle> handles) {
        ActorRef<EnrpMessage> peer = peers.get(writer);
        if (peer == null || writer == self) {
            handles.forEach(resyncing::remove);
            return;
        }
        resyncs++;
        long id = ++nextRequestId;
        HandleTableRequest.Builder b = HandleTableRequest.newBuilder().setSenderRegistrarId(self).setRequestId(id)
                .addAllShardIds(shardIds).setMaxElementsPerBlock(settings.maxElementsPerBlock())
                .setReplyTo(ActorRefResolver.get(getContext().getSystem())
                        .toSerializationFormat(getContext().getSelf()));
        handles.forEach(h -> b.addPoolHandles(WireMapping.poolHandle(h)));
        pulls.put(id, new Pull(writer, shardIds, handles, b));
        peer.tell(EnrpMessage.newBuilder().setHandleTableRequest(b.setBlocks(BLOCKS_IN_FLIGHT)).build());
    }

    // ------------------------------------------------------------------ membership

    private Behavior<Object> onPeersChanged(PeersChanged changed) {
        listed = changed.listing().getServiceInstances(KEY);
        refreshPeers();
        return this;
    }

    private void refreshPeers() {
        Map<Address, Integer> ids = new HashMap<>();
        for (Member m : cluster.state().getMembers()) {
            for (String role : m.getRoles()) {
                int id = ClusterSettings.registrarId(role);
                if (id != 0) {
                    ids.put(m.address(), id);
                }
            }
        }
        Set<Integer> before = new HashSet<>(peers.keySet());
        peers.clear();
        for (ActorRef<EnrpMessage> ref : listed) {
            Address address = ref.path().address();
            if (address.hasLocalScope()) {
                continue;
            }
            Integer id = ids.get(address);
            if (id != null && id != self) {
                peers.put(id, ref);
            }
        }
        node.peerEndpoints().keySet().retainAll(peers.keySet());
        for (int id : peers.keySet()) {
            if (!before.contains(id) && joinPending.contains(id)) {
                pull(id, Set.of(), Set.of());
            }
        }
    }

    private Behavior<Object> onMemberEvent(MemberEvent event) {
        if (event.event() instanceof ClusterEvent.MemberRemoved removed) {
            for (String role : removed.member().getRoles()) {
                int gone = ClusterSettings.registrarId(role);
                if (gone != 0 && gone != self) {
                    orphan(gone);
                }
            }
        }
        refreshPeers();
        return this;
    }

    /** Gives the PEs homed at {@code gone} in the pools this node writes the takeover grace. */
    private void orphan(int gone) {
        Set<PoolHandle> pools = replica.poolsWithOwner(gone, self);
        ActorRef<ShardingEnvelope<PoolActor.Command>> region = PoolActor.init(getContext().getSystem());
        int graceMs = (int) Math.min(Integer.MAX_VALUE, settings.takeoverGrace().toMillis());
        for (PoolHandle h : pools) {
            region.tell(new ShardingEnvelope<>(PoolActor.entityId(h), new PoolActor.Orphaned(gone, graceMs)));
        }
        joinPending.remove(gone);
        peers.remove(gone);
        getContext().getLog().info("registrar {} left: takeover grace {} for its PEs in {} pools written here",
                hex(gone), settings.takeoverGrace(), pools.size());
        if (joinPending.isEmpty()) {
            ready.complete(Done.getInstance());
        }
    }

    // ------------------------------------------------------------------ timers

    private Behavior<Object> onTick() {
        refreshPeers();
        // audit
        Presence.Builder p = Presence.newBuilder().setSenderRegistrarId(self)
                .setAsapHost(node.settings().host()).setAsapPort(node.asapPort());
        replica.shardChecksums(self, shards).forEach((shard, sum) -> p.addShardChecksums(ShardChecksum.newBuilder()
                .setShardId(shard).setChecksum(sum[0]).setElementCount(sum[1])));
        EnrpMessage presence = EnrpMessage.newBuilder().setPresence(p).build();
        peers.values().forEach(peer -> peer.tell(presence));
        // forget resyncs and pulls nobody answered (writer gone): the audit catches what they missed
        long stale = System.nanoTime() - STALE_NANOS;
        resyncing.values().removeIf(t -> t < stale);
        pulls.values().removeIf(pull -> {
            if (pull.progressNanos >= stale) {
                return false;
            }
            pull.held.forEach(replica::applyDelta);
            return true;
        });
        exports.values().removeIf(export -> export.usedNanos < stale);
        // joins whose peer did not answer yet: ask again
        long retry = System.nanoTime() - 1_000_000_000L;
        for (int id : joinPending) {
            if (pulls.values().stream().noneMatch(pull -> pull.writer == id && pull.shards.isEmpty()
                    && pull.handles.isEmpty() && pull.progressNanos > retry)) {
                pull(id, Set.of(), Set.of());
            }
        }
        writeStatus();
        return this;
    }

    private Behavior<Object> onJoinTimeout() {
        if (!ready.isDone()) {
            getContext().getLog().warn("join: no table from registrar(s) {} within {}: ready anyway",
                    joinPending.stream().map(Replicator::hex).toList(), settings.joinTimeout());
            joinPending.clear();
            ready.complete(Done.getInstance());
        }
        return this;
    }

    private void writeStatus() {
        if (settings.statusFile().isEmpty()) {
            return;
        }
        Path file = Path.of(settings.statusFile());
        Path corrupt = Path.of(settings.statusFile() + ".corrupt");
        if (settings.testHooks() && Files.exists(corrupt)) {
            try {
                Files.deleteIfExists(corrupt);
            } catch (IOException e) {
                // next tick
            }
            getContext().getLog().warn("test hook: corrupting the replica: {}", replica.corruptForTest());
        }
        int members = 0;
        for (Member m : cluster.state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                members++;
            }
        }
        StringBuilder json = new StringBuilder(256).append('{')
                .append("\"registrar_id\":\"").append(hex(self)).append("\",")
                .append("\"ready\":").append(ready.isDone()).append(',')
                .append("\"members\":").append(members).append(',')
                .append("\"peers\":").append(peers.size()).append(',')
                .append("\"elements\":").append(replica.elementCount()).append(',')
                .append("\"pools\":").append(replica.poolCount()).append(',')
                .append("\"checksum\":\"").append(Long.toHexString(replica.checksum())).append("\",")
                .append("\"gaps\":").append(replica.gaps()).append(',')
                .append("\"last_change_ms\":").append(replica.lastChangeMillis()).append(',')
                .append("\"resyncs\":").append(resyncs).append(',')
                .append("\"overflows\":").append(overflows).append(',')
                .append("\"sent_batches\":").append(sentBatches).append(',')
                .append("\"sent_bytes\":").append(sentBytes).append(',')
                .append("\"received_updates\":").append(receivedUpdates).append(',')
                .append("\"owner_checksums\":{");
        boolean first = true;
        for (Map.Entry<Integer, long[]> e : replica.ownerChecksums().entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append('"').append(hex(e.getKey())).append("\":\"").append(Long.toHexString(e.getValue()[0]))
                    .append('/').append(e.getValue()[1]).append('"');
        }
        json.append("}}\n");
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, json, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            getContext().getLog().warn("cannot write the status file {}: {}", file, e.toString());
        }
    }

    private static String hex(int id) {
        return String.format("0x%08x", id);
    }
}
