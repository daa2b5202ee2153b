package org.poolkeeper.registrar.replication;

import java.time.Duration;
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
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.HandleTableRequest;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;
import org.poolkeeper.replication.PoolPart;
import org.poolkeeper.replication.ReplicaSync;
import org.poolkeeper.replication.TablePull;

/**
 * Applies what the peers send to this node's replica, and pulls tables: the shell around {@link ReplicaSync}.
 * It receives the peers' {@link HandleUpdateBatch}es and the {@link HandleTableResponse}s of its pulls, and asks
 * the peers' {@link TableServer}s for tables: after a gap or a new writer epoch (those pools), after a peer's
 * overflow (its whole table), on the audit's request (some shards) and at join (every peer's whole table, before
 * this node hosts pools or accepts clients; {@code ready} completes then, or after {@code join-timeout}).
 *
 * <p>Tables are pulled block by block with credit: the first request asks for {@link #BLOCKS_IN_FLIGHT} blocks,
 * and each block applied asks for one more (by cursor), so a pull never floods the writer, the network or this
 * node. Malformed or unexpected messages are logged (rate-limited) and dropped; they never stop the inbox.
 */
public final class Inbox extends AbstractBehavior<Inbox.Command> {

    /** The inbox sits at {@code /system/<NAME>} on every registrar. */
    public static final String NAME = "poolkeeper-replication-inbox";

    /**
     * Blocks of one table pull in flight: enough to hide a round trip between registrars behind the applying of the
     * blocks already received, few enough (that many × max-elements-per-block PEs) to bound what a pull buffers.
     */
    static final int BLOCKS_IN_FLIGHT = 8;

    /** A pull nobody advanced for this long is given up (its writer restarted or lost it); the audit repairs. */
    private static final long STALE_NANOS = 10_000_000_000L;

    /** A join pull that made no progress for this long is asked again. */
    private static final long JOIN_RETRY_NANOS = 2_000_000_000L;

    /** What the inbox accepts. */
    public sealed interface Command permits Received, PullShards, MembersChanged, Tick, JoinTimeout {
    }

    /** A pull asked for with {@link PullShards#done} ended: applied, given up, or its writer is not a peer. */
    public record PullDone(int writer, Set<Integer> shards) {
    }

    /** A registrar-protocol message from a peer. */
    record Received(EnrpMessage message) implements Command {
    }

    /**
     * Pull these shards of {@code writer} (the audit found them different here, or a shard writer starting here
     * takes them over from it); {@code done} (may be null) hears when the pull ended.
     */
    public record PullShards(int writer, Set<Integer> shards, ActorRef<PullDone> done) implements Command {
    }

    private record MembersChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private enum JoinTimeout implements Command { INSTANCE }

    /**
     * The inbox's behavior; it also accepts {@link EnrpMessage}s as such (from peers).
     *
     * @param ready completed once the join pull is done (or timed out): then the node may host pools
     */
    public static Behavior<Object> create(NodeReplica replica, Membership membership, int maxElementsPerBlock,
                                          int maxPoolHandleLength, Duration joinTimeout, ReplicationStats stats,
                                          BadInputLog badInput, CompletableFuture<Done> ready) {
        Behavior<Command> inner = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Inbox(ctx, timers,
                replica, membership, maxElementsPerBlock, maxPoolHandleLength, joinTimeout, stats, badInput,
                ready)));
        return Behaviors.transformMessages(Object.class, inner, pf -> pf
                .match(EnrpMessage.class, Received::new)
                .match(Command.class, c -> c));
    }

    private final ActorContext<Command> ctx;
    private final NodeReplica replica;
    private final Membership membership;
    private final ReplicaSync sync;
    private final int maxElementsPerBlock;
    private final int maxPoolHandleLength;
    private final ReplicationStats stats;
    private final BadInputLog badInput;
    private final CompletableFuture<Done> ready;
    private final String replyTo;
    private final Map<Long, HandleTableRequest.Builder> requests = new HashMap<>();
    /** Who waits for which pull to end. */
    private final Map<Long, List<ActorRef<PullDone>>> waiting = new HashMap<>();
    private final Set<Integer> joinPending = new HashSet<>();
    private final long startedNanos = System.nanoTime();

    private Inbox(ActorContext<Command> ctx, TimerScheduler<Command> timers, NodeReplica replica,
                  Membership membership, int maxElementsPerBlock, int maxPoolHandleLength, Duration joinTimeout,
                  ReplicationStats stats, BadInputLog badInput, CompletableFuture<Done> ready) {
        super(ctx);
        // its own class as logger, not the supervisor's or the timers' wrapper Pekko would otherwise name
        ctx.setLoggerName(Inbox.class);
        this.ctx = ctx;
        this.replica = replica;
        this.membership = membership;
        this.sync = new ReplicaSync(replica);
        this.maxElementsPerBlock = maxElementsPerBlock;
        this.maxPoolHandleLength = maxPoolHandleLength;
        this.stats = stats;
        this.badInput = badInput;
        this.ready = ready;
        this.replyTo = ActorRefResolver.get(ctx.getSystem()).toSerializationFormat(ctx.getSelf());
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new),
                ClusterEvent.MemberEvent.class));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1));
        for (Membership.Registrar peer : membership.upPeers()) {
            joinPending.add(peer.id());
            start(sync.pull(peer.id(), Set.of(), Set.of(), System.nanoTime()));
        }
        if (joinPending.isEmpty()) {
            ready.complete(Done.getInstance());
        } else {
            timers.startSingleTimer(JoinTimeout.INSTANCE, joinTimeout);
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Received.class, this::onReceived)
                .onMessage(PullShards.class, this::onPullShards)
                .onMessage(MembersChanged.class, this::onMembersChanged)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessageEquals(JoinTimeout.INSTANCE, this::onJoinTimeout)
                .build();
    }

    private Behavior<Command> onReceived(Received received) {
        EnrpMessage message = received.message();
        switch (message.getBodyCase()) {
            case HANDLE_UPDATE_BATCH -> onBatch(message.getHandleUpdateBatch(), message.getSerializedSize());
            case HANDLE_TABLE_RESPONSE -> onTableResponse(message.getHandleTableResponse());
            default -> bad(0, "unexpected " + message.getBodyCase() + " at the replication inbox");
        }
        return this;
    }

    // ------------------------------------------------------------------ deltas

    /**
     * How far ahead of this node's clock a peer's epoch may be: clock skew between hosts plus one epoch per pool
     * created in an incarnation; 10 minutes.
     */
    static final long MAX_EPOCH_AHEAD_MICROS = 600_000_000L;

    /**
     * Epochs begin at the writer's clock (microseconds) and grow by one per new pool: an epoch far ahead of this
     * node's clock, in a delta or a table block, would make the real writer's later changes look stale.
     */
    private static void checkEpoch(long epoch, PoolHandle pool) {
        long ahead = epoch - System.currentTimeMillis() * 1000;
        if (ahead > MAX_EPOCH_AHEAD_MICROS) {
            throw new WireMapping.InvalidWireValueException("epoch " + epoch + " of pool " + pool + " is "
                    + ahead / 1_000_000 + " s ahead of this node's clock");
        }
    }

    /** {@code bytes}: the size of the registrar message that carried the batch, as its sender counts it. */
    private void onBatch(HandleUpdateBatch batch, int bytes) {
        int sender = batch.getSenderRegistrarId();
        if (!isMember(sender)) {
            bad(sender, "update batch from a registrar that is not a member");
            return;
        }
        List<Delta> deltas = new ArrayList<>(batch.getUpdatesCount());
        for (HandleUpdate update : batch.getUpdatesList()) {
            try {
                Delta d = WireMapping.delta(update);
                if (d.poolHandle().length() > maxPoolHandleLength) {
                    throw new WireMapping.InvalidWireValueException("pool handle of " + d.poolHandle().length()
                            + " bytes");
                }
                // a registrar sends only what it wrote itself: a delta of another writer is forged or a bug
                if (d.writer() != sender) {
                    throw new WireMapping.InvalidWireValueException("a delta of writer " + hex(d.writer())
                            + " in a batch from " + hex(sender));
                }
                checkEpoch(d.epoch(), d.poolHandle());
                deltas.add(d);
            } catch (WireMapping.InvalidWireValueException e) {
                bad(sender, "bad update: " + e.getMessage());
            }
        }
        stats.receivedUpdates.addAndGet(deltas.size());
        ReplicationStats.Peer counters = stats.peer(sender);
        counters.receivedBatches.incrementAndGet();
        counters.receivedUpdates.addAndGet(deltas.size());
        counters.receivedBytes.addAndGet(bytes);
        for (TablePull pull : sync.receive(deltas, System.nanoTime())) {
            start(pull);
        }
        if (batch.getResyncRequired() && sync.pulls().stream().noneMatch(p -> p.writer() == sender
                && p.isWholeTable())) {
            ctx.getLog().info("registrar {} dropped updates (its buffer overflowed): pulling its table", hex(sender));
            start(sync.pull(sender, Set.of(), Set.of(), System.nanoTime()));
        }
    }

    // ------------------------------------------------------------------ tables

    private Behavior<Command> onPullShards(PullShards p) {
        if (!isMember(p.writer())) {
            if (p.done() != null) {
                p.done().tell(new PullDone(p.writer(), p.shards()));
            }
            return this;
        }
        TablePull pull = sync.pulls().stream().filter(x -> x.writer() == p.writer()
                && (x.isWholeTable() || x.handles().isEmpty() && x.shards().containsAll(p.shards())))
                .findFirst().orElse(null);
        if (pull == null) {
            if (p.done() == null) {
                ctx.getLog().info("audit: {} shard(s) differ from registrar {}: pulling them", p.shards().size(),
                        hex(p.writer()));
            }
            pull = sync.pull(p.writer(), p.shards(), Set.of(), System.nanoTime());
            start(pull);
        }
        if (p.done() != null) {
            waiting.computeIfAbsent(pull.id(), k -> new ArrayList<>()).add(p.done());
        }
        return this;
    }

    /** A pull ended (applied or given up): tells who waits for it. */
    private void ended(TablePull pull) {
        requests.remove(pull.id());
        List<ActorRef<PullDone>> waiters = waiting.remove(pull.id());
        if (waiters != null) {
            PullDone done = new PullDone(pull.writer(), pull.shards());
            waiters.forEach(w -> w.tell(done));
        }
    }

    private void start(TablePull pull) {
        stats.pulls.incrementAndGet();
        HandleTableRequest.Builder request = HandleTableRequest.newBuilder()
                .setSenderRegistrarId(membership.self())
                .setRequestId(pull.id())
                .addAllShardIds(pull.shards())
                .setMaxElementsPerBlock(maxElementsPerBlock)
                .setReplyTo(replyTo);
        for (PoolHandle h : pull.handles()) {
            request.addPoolHandles(WireMapping.poolHandle(h));
        }
        requests.put(pull.id(), request);
        send(pull, request.setCursor(0).setBlocks(BLOCKS_IN_FLIGHT));
    }

    private void send(TablePull pull, HandleTableRequest.Builder request) {
        Address address = membership.addressOf(pull.writer());
        if (address == null) {
            return; // the writer is gone: the pull goes stale and is dropped
        }
        ActorRef<EnrpMessage> server = membership.actorAt(address, TableServer.NAME);
        server.tell(EnrpMessage.newBuilder().setHandleTableRequest(request).build());
    }

    private void onTableResponse(HandleTableResponse response) {
        TablePull pull = sync.pullById(response.getRequestId());
        if (pull == null) {
            return; // a pull given up, or an old one's late block
        }
        if (response.getSenderRegistrarId() != pull.writer()) {
            bad(response.getSenderRegistrarId(), "table block for a pull of another registrar");
            return;
        }
        List<PoolPart> parts = new ArrayList<>(response.getPoolsCount());
        for (PoolEntries entries : response.getPoolsList()) {
            try {
                PoolPart part = WireMapping.poolPart(entries, pull.writer(), maxPoolHandleLength);
                checkEpoch(part.order().epoch(), part.handle());
                parts.add(part);
            } catch (WireMapping.InvalidWireValueException e) {
                bad(pull.writer(), "bad table block: " + e.getMessage() + "; pull given up");
                sync.abandon(pull.id());
                ended(pull);
                return;
            }
        }
        ReplicaSync.Progress progress;
        try {
            progress = sync.block(pull.id(), parts, !response.getMoreToSend(), System.nanoTime());
        } catch (IllegalArgumentException e) {
            bad(pull.writer(), "bad table block: " + e.getMessage() + "; pull given up");
            ended(pull);
            return;
        }
        if (progress == null) {
            return;
        }
        for (TablePull again : progress.started()) {
            start(again);
        }
        if (!progress.finished()) {
            // one block applied: ask for the one after those still in flight (the writer ignores a request beyond
            // the end of its table)
            send(pull, requests.get(pull.id()).setCursor(response.getNextCursor() + BLOCKS_IN_FLIGHT - 1)
                    .setBlocks(1));
            return;
        }
        ended(pull);
        long ms = (System.nanoTime() - pull.startedNanos()) / 1_000_000;
        if (pull.isWholeTable() && joinPending.remove(pull.writer())) {
            ctx.getLog().info("join: pulled the table of registrar {} ({} pools, {} blocks, {} changes) in {} ms; {} "
                    + "PEs in the replica now", hex(pull.writer()), pull.poolsListed(), pull.blocks(),
                    pull.changes(), ms, replica.elementCount());
            readyIfJoined();
        } else if (pull.changes() > 0) {
            ctx.getLog().debug("table of registrar {}: {} pools in {} blocks, {} changes in {} ms", hex(pull.writer()),
                    pull.poolsListed(), pull.blocks(), pull.changes(), ms);
        }
    }

    // ------------------------------------------------------------------ membership and timers

    private Behavior<Command> onMembersChanged(MembersChanged changed) {
        if (changed.event() instanceof ClusterEvent.MemberRemoved removed) {
            int gone = Membership.registrarId(removed.member());
            if (gone != 0 && gone != membership.self()) {
                List<TablePull> dropped = sync.pulls().stream().filter(p -> p.writer() == gone).toList();
                sync.writerLeft(gone);
                stats.peerLeft(gone);
                dropped.forEach(this::ended);
                if (joinPending.remove(gone)) {
                    readyIfJoined();
                }
            }
        }
        return this;
    }

    private Behavior<Command> onTick() {
        long now = System.nanoTime();
        for (TablePull stale : sync.expire(now, STALE_NANOS)) {
            ended(stale);
            ctx.getLog().info("table pull from registrar {} made no progress for {} s: given up", hex(stale.writer()),
                    STALE_NANOS / 1_000_000_000L);
        }
        for (int writer : new ArrayList<>(joinPending)) {
            TablePull current = null;
            for (TablePull p : sync.pulls()) {
                if (p.writer() == writer && p.isWholeTable()) {
                    current = p;
                }
            }
            if (current == null || now - current.progressNanos() > JOIN_RETRY_NANOS) {
                if (current != null) {
                    sync.abandon(current.id());
                    ended(current);
                }
                start(sync.pull(writer, Set.of(), Set.of(), now));
            }
        }
        return this;
    }

    private Behavior<Command> onJoinTimeout() {
        if (!ready.isDone()) {
            ctx.getLog().warn("join: no table from registrar(s) {} within {} s: ready anyway",
                    joinPending.stream().map(Inbox::hex).toList(), (System.nanoTime() - startedNanos) / 1e9);
            joinPending.clear();
            ready.complete(Done.getInstance());
        }
        return this;
    }

    private void readyIfJoined() {
        if (joinPending.isEmpty() && !ready.isDone()) {
            ready.complete(Done.getInstance());
        }
    }

    private boolean isMember(int registrarId) {
        return registrarId != 0 && registrarId != membership.self() && membership.addressOf(registrarId) != null;
    }

    private void bad(int sender, String what) {
        stats.badMessages.incrementAndGet();
        badInput.log("registrar " + hex(sender), what);
    }

    static String hex(int id) {
        return String.format("0x%08x", id);
    }
}
