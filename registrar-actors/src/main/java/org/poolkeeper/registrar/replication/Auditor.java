package org.poolkeeper.registrar.replication;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.Presence;
import org.poolkeeper.protocol.wire.ShardChecksum;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.replication.ShardReplica;

/**
 * Keeps every shard written, and every replica equal to its writer's.
 *
 * <ul>
 *   <li><b>Audit:</b> every {@code audit-interval} a {@link Presence} goes to every peer's auditor, with the
 *   checksum of each shard whose writer runs here ({@link HostedShards}) and this node's client endpoint; a
 *   shard whose checksum differs from this replica's in two presences in a row, neither side changed in between,
 *   is pulled from its writer ({@link Inbox.PullShards}). The shards a peer announces tell where its writers
 *   run ({@link ShardHomes}): the routes of the relay that batches commands for them.</li>
 *   <li><b>Takeover:</b> when a registrar is removed from the cluster, the shards it wrote (this replica knows
 *   them: their pools name it as writer) are woken through Cluster Sharding, so that their writers start on the
 *   survivors at once, each from its node's replica; the shard writers here that hold PEs homed at it are told
 *   too (takeover grace). Nothing is remembered cluster-wide: a wake is re-sent until the shard's writer
 *   acknowledges it.</li>
 *   <li><b>Orphans:</b> a shard that holds pools but that no registrar writes (not hosted here, announced in no
 *   peer's last presence, no writer acknowledged a wake of it lately), at two audits in a row, is woken too: the
 *   safety net under the takeover and the hand-off of a rebalanced shard.</li>
 * </ul>
 */
public final class Auditor extends AbstractBehavior<Auditor.Command> {

    /** The auditor sits at {@code /system/<NAME>} on every registrar. */
    public static final String NAME = "poolkeeper-replication-auditor";

    /** How often an unacknowledged wake is sent again. */
    private static final Duration WAKE_RETRY = Duration.ofMillis(200);

    /** After this long a wake is given up (logged). */
    private static final long WAKE_GIVE_UP_NANOS = 60_000_000_000L;

    /** Starts the writer of a shard (wherever Cluster Sharding places it), which then acknowledges it. */
    public interface ShardWaker {
        /**
         * @param registrarLeft the registrar that left (its PEs get the takeover grace), or 0
         * @param ack           where the shard's writer acknowledges the wake
         */
        void wake(int shard, int registrarLeft, ActorRef<WriterAwake> ack);
    }

    /** What the auditor accepts. */
    public sealed interface Command permits Received, WriterAwake, RegionReady, MembersChanged, Tick, RetryWakes {
    }

    record Received(EnrpMessage message) implements Command {
    }

    /** A shard writer acknowledges a wake: it runs on registrar {@code writer}. */
    public record WriterAwake(int shard, int writer) implements Command {
    }

    /** The node hosts shards from now on: wakes can be sent. */
    public record RegionReady(ShardWaker waker) implements Command {
    }

    private record MembersChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private enum RetryWakes implements Command { INSTANCE }

    private static final class PendingWake {
        final int registrarLeft;
        final long firstNanos;
        long sentNanos;

        PendingWake(int registrarLeft, long now) {
            this.registrarLeft = registrarLeft;
            this.firstNanos = now;
        }
    }

    /** A takeover in progress: the shards of a registrar that left, until each is written again. */
    private static final class Takeover {
        final long removedNanos = System.nanoTime();
        final Set<Integer> shards;
        final Set<Integer> waiting;

        Takeover(Set<Integer> shards) {
            this.shards = Set.copyOf(shards);
            this.waiting = new HashSet<>(shards);
        }
    }

    public static Behavior<Object> create(NodeReplica replica, Membership membership, HostedShards hosted,
                                          ShardHomes homes, PeerEndpoints endpoints, ActorRef<Inbox.Command> inbox,
                                          Duration auditInterval, String asapHost,
                                          java.util.function.IntSupplier asapPort, ReplicationStats stats,
                                          BadInputLog badInput) {
        Behavior<Command> inner = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Auditor(ctx, timers,
                replica, membership, hosted, homes, endpoints, inbox, auditInterval, asapHost, asapPort, stats, badInput)));
        return Behaviors.transformMessages(Object.class, inner, pf -> pf
                .match(EnrpMessage.class, Received::new)
                .match(Command.class, c -> c));
    }

    private final ActorContext<Command> ctx;
    private final NodeReplica replica;
    private final Membership membership;
    private final HostedShards hosted;
    private final ShardHomes homes;
    private final PeerEndpoints endpoints;
    private final ActorRef<Inbox.Command> inbox;
    private final String asapHost;
    private final java.util.function.IntSupplier asapPort;
    private final ReplicationStats stats;
    private final BadInputLog badInput;
    private final ActorRef<WriterAwake> ackTo;
    private ShardWaker waker;
    /**
     * Per peer: the shards that differed in its last presence, with both sides' checksum and count then. A shard is
     * pulled only when it differs in two presences in a row with nothing changed on either side in between: under
     * registration and deregistration load, a difference is mostly changes still on their way.
     */
    private final Map<Integer, Map<Integer, List<Long>>> lastMismatch = new HashMap<>();
    /** Per peer: the shards it announced in its last two presences (index 0 the newest). */
    private final Map<Integer, List<Set<Integer>>> announced = new HashMap<>();
    /** Shards that looked orphaned at the last tick. */
    private Set<Integer> suspects = Set.of();
    private final Map<Integer, PendingWake> wakes = new HashMap<>();
    /** When a writer last acknowledged a wake of each shard (System.nanoTime). */
    private final Map<Integer, Long> lastAwake = new HashMap<>();
    private final long tickNanos;
    private final Map<Integer, Takeover> takeovers = new HashMap<>();

    private Auditor(ActorContext<Command> ctx, TimerScheduler<Command> timers, NodeReplica replica,
                    Membership membership, HostedShards hosted, ShardHomes homes, PeerEndpoints endpoints, ActorRef<Inbox.Command> inbox,
                    Duration auditInterval, String asapHost, java.util.function.IntSupplier asapPort,
                    ReplicationStats stats, BadInputLog badInput) {
        super(ctx);
        // its own class as logger, not the supervisor's or the timers' wrapper Pekko would otherwise name
        ctx.setLoggerName(Auditor.class);
        this.ctx = ctx;
        this.replica = replica;
        this.membership = membership;
        this.hosted = hosted;
        this.homes = homes;
        this.endpoints = endpoints;
        this.inbox = inbox;
        this.asapHost = asapHost;
        this.asapPort = asapPort;
        this.stats = stats;
        this.badInput = badInput;
        this.ackTo = ctx.getSelf().narrow();
        this.tickNanos = auditInterval.toNanos();
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new),
                ClusterEvent.MemberEvent.class));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, auditInterval);
        timers.startTimerWithFixedDelay(RetryWakes.INSTANCE, WAKE_RETRY);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Received.class, this::onReceived)
                .onMessage(WriterAwake.class, this::onWriterAwake)
                .onMessage(RegionReady.class, this::onRegionReady)
                .onMessage(MembersChanged.class, this::onMembersChanged)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessageEquals(RetryWakes.INSTANCE, this::onRetryWakes)
                .build();
    }

    // ------------------------------------------------------------------ audit

    private Behavior<Command> onTick() {
        int self = membership.self();
        Presence.Builder p = Presence.newBuilder().setSenderRegistrarId(self).setAsapHost(asapHost)
                .setAsapPort(asapPort.getAsInt());
        for (int shard : hosted.snapshot()) {
            ShardReplica.WriterTotal total = replica.apply(shard, s -> s.writerTotal(self));
            p.addShardChecksums(ShardChecksum.newBuilder().setShardId(shard).setChecksum(total.checksum())
                    .setElementCount(total.elements()));
        }
        EnrpMessage presence = EnrpMessage.newBuilder().setPresence(p).build();
        for (Membership.Registrar peer : membership.upPeers()) {
            membership.<EnrpMessage>actorAt(peer.address(), NAME).tell(presence);
        }
        findOrphans();
        return this;
    }

    private Behavior<Command> onReceived(Received received) {
        if (received.message().getBodyCase() != EnrpMessage.BodyCase.PRESENCE) {
            bad(0, "unexpected " + received.message().getBodyCase() + " at the auditor");
            return this;
        }
        Presence presence = received.message().getPresence();
        int sender = presence.getSenderRegistrarId();
        Membership.Registrar peer = sender == membership.self() ? null
                : membership.upPeers().stream().filter(r -> r.id() == sender).findFirst().orElse(null);
        if (peer == null) {
            return this; // not (or no longer, or not yet) a peer
        }
        if (presence.getAsapPort() > 0 && presence.getAsapPort() <= 65535 && !presence.getAsapHost().isEmpty()
                && presence.getAsapHost().length() <= 255) {
            endpoints.put(sender, presence.getAsapHost(), presence.getAsapPort());
        }
        Set<Integer> theirs = new HashSet<>();
        Map<Integer, List<Long>> mismatched = new HashMap<>();
        for (ShardChecksum c : presence.getShardChecksumsList()) {
            int shard = c.getShardId();
            if (shard < 0 || shard >= replica.numberOfShards()) {
                bad(sender, "presence with shard " + shard);
                continue;
            }
            theirs.add(shard);
            ShardReplica.WriterTotal mine = replica.apply(shard, s -> s.writerTotal(sender));
            if (mine.checksum() != c.getChecksum() || mine.elements() != c.getElementCount()) {
                mismatched.put(shard, List.of(c.getChecksum(), c.getElementCount(), mine.checksum(),
                        (long) mine.elements()));
            }
        }
        homes.announced(peer.address(), theirs);
        List<Set<Integer>> history = announced.computeIfAbsent(sender, k -> new ArrayList<>());
        history.add(0, theirs);
        if (history.size() > 2) {
            history.remove(2);
        }
        Map<Integer, List<Long>> previous = lastMismatch.getOrDefault(sender, Map.of());
        Set<Integer> confirmed = new HashSet<>();
        mismatched.forEach((shard, sides) -> {
            if (sides.equals(previous.get(shard))) {
                confirmed.add(shard);
            }
        });
        lastMismatch.put(sender, mismatched);
        if (!confirmed.isEmpty()) {
            stats.auditMismatches.addAndGet(confirmed.size());
            inbox.tell(new Inbox.PullShards(sender, confirmed, null));
        }
        return this;
    }

    // ------------------------------------------------------------------ takeover and orphans

    private Behavior<Command> onMembersChanged(MembersChanged changed) {
        if (!(changed.event() instanceof ClusterEvent.MemberRemoved removed)) {
            return this;
        }
        int gone = Membership.registrarId(removed.member());
        if (gone == 0 || gone == membership.self()) {
            return this;
        }
        homes.left(removed.member().address());
        endpoints.remove(gone);
        lastMismatch.remove(gone);
        announced.remove(gone);
        Set<Integer> written = new HashSet<>();
        int graced = 0;
        for (int s = 0; s < replica.numberOfShards(); s++) {
            int shard = s;
            boolean wroteIt = replica.apply(s, r -> r.writerTotal(gone).pools() > 0);
            if (wroteIt) {
                written.add(shard);
                wake(shard, gone);
            } else if (hosted.contains(shard) && replica.apply(s, r -> r.homeElementCount(gone) > 0)) {
                graced++;
                wake(shard, gone);
            }
        }
        if (!written.isEmpty()) {
            takeovers.put(gone, new Takeover(written));
        }
        ctx.getLog().info("registrar {} left: waking the {} shard(s) it wrote; takeover grace for its PEs in {} "
                + "shard(s) written here", Inbox.hex(gone), written.size(), graced);
        return this;
    }

    private void findOrphans() {
        if (membership.shuttingDown()) {
            return; // its own writers stop as it leaves: they are not orphans to wake
        }
        long now = System.nanoTime();
        Set<Integer> announcedNow = new HashSet<>();
        Set<Integer> peers = new HashSet<>();
        membership.upPeers().forEach(r -> peers.add(r.id()));
        announced.forEach((peer, history) -> {
            if (peers.contains(peer) && !history.isEmpty()) {
                announcedNow.addAll(history.get(0));
            }
        });
        Set<Integer> orphans = new HashSet<>();
        for (int s = 0; s < replica.numberOfShards(); s++) {
            Long awake = lastAwake.get(s);
            if (hosted.contains(s) || announcedNow.contains(s) || awake != null && now - awake < 2 * tickNanos) {
                continue;
            }
            if (replica.apply(s, ShardReplica::poolCount) > 0) {
                orphans.add(s);
            }
        }
        for (int shard : orphans) {
            if (suspects.contains(shard) && !wakes.containsKey(shard)) {
                ctx.getLog().info("shard {} holds pools no registrar writes: waking it", shard);
                wake(shard, 0);
            }
        }
        suspects = orphans;
    }

    private void wake(int shard, int registrarLeft) {
        PendingWake pending = wakes.get(shard);
        if (pending == null || registrarLeft != 0 && pending.registrarLeft != registrarLeft) {
            pending = new PendingWake(registrarLeft, System.nanoTime());
            wakes.put(shard, pending);
        }
        send(shard, pending);
    }

    private void send(int shard, PendingWake pending) {
        if (waker != null) {
            pending.sentNanos = System.nanoTime();
            waker.wake(shard, pending.registrarLeft, ackTo);
        }
    }

    private Behavior<Command> onRetryWakes() {
        if (membership.shuttingDown()) {
            return this; // a node on its way out hands its shards off; a wake would only fight that
        }
        long now = System.nanoTime();
        List<Integer> givenUp = new ArrayList<>();
        wakes.forEach((shard, pending) -> {
            if (now - pending.firstNanos > WAKE_GIVE_UP_NANOS) {
                givenUp.add(shard);
            } else if (now - pending.sentNanos >= WAKE_RETRY.toNanos()) {
                send(shard, pending);
            }
        });
        for (int shard : givenUp) {
            wakes.remove(shard);
            ctx.getLog().warn("shard {}: no writer acknowledged a wake within {} s", shard,
                    WAKE_GIVE_UP_NANOS / 1_000_000_000L);
        }
        return this;
    }

    private Behavior<Command> onWriterAwake(WriterAwake awake) {
        wakes.remove(awake.shard());
        lastAwake.put(awake.shard(), System.nanoTime());
        for (Map.Entry<Integer, Takeover> entry : new ArrayList<>(takeovers.entrySet())) {
            Takeover t = entry.getValue();
            if (t.waiting.remove(awake.shard()) && t.waiting.isEmpty()) {
                takeovers.remove(entry.getKey());
                stats.takeovers.addAndGet(t.shards.size());
                ctx.getLog().info("takeover of registrar {}: its {} shard(s) written again {} ms after its removal",
                        Inbox.hex(entry.getKey()), t.shards.size(),
                        (System.nanoTime() - t.removedNanos) / 1_000_000);
            }
        }
        return this;
    }

    private Behavior<Command> onRegionReady(RegionReady ready) {
        this.waker = ready.waker();
        wakes.forEach(this::send);
        return this;
    }

    private void bad(int sender, String what) {
        stats.badMessages.incrementAndGet();
        badInput.log("registrar " + Inbox.hex(sender), what);
    }

}
