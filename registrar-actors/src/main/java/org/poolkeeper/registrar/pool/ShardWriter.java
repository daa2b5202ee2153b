package org.poolkeeper.registrar.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Limit;
import org.poolkeeper.registrar.node.MicrosClock;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.Inbox;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.replication.ShardPuller;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;
import org.poolkeeper.replication.ShardReplica;

/**
 * The single writer of the pools of one shard: a Cluster Sharding entity per shard ({@link PoolSharding}: entity
 * id = shard number). It applies registrations, re-registrations, deregistrations, unreachability reports and
 * session drops to the pools of its shard in this node's replica ({@link NodeReplica}, under the shard's lock),
 * expires PEs with one actor timer at the shard's earliest deadline, answers resolutions in owner mode, and hands
 * every change, as a {@link Delta}, to the node's outbound replication.
 *
 * <p><b>Life cycle:</b> an incarnation starts from what this node's replica holds for the shard (after a
 * takeover: the pools the registrar that left was writing, as replicated here) and gives every pool a new epoch
 * ({@link ShardReplica#beginIncarnation}); PEs homed at a registrar that is no longer a member get the takeover
 * grace: deadline = min(deadline, now + takeover-grace). No state outside the replica survives an incarnation,
 * and nothing is written cluster-wide when a writer starts or stops. When Cluster Sharding hands the shard to
 * another node (rebalance), the stopping writer wakes the shard at its new home at once ({@link Wake}), and the
 * new writer pulls the shard's table from its live predecessor before it writes (so no change the predecessor
 * acknowledged is lost to a replica that lagged); the {@link Auditor} wakes the shards of a registrar that left,
 * and any shard whose pools no running writer writes.
 *
 * <p><b>Timer:</b> one timer, keyed {@link Expire}, at the shard's earliest deadline. It is moved at once when the
 * earliest deadline moves earlier; when it moves later the timer fires early, expires nothing and is re-armed.
 *
 * <p><b>Sessions:</b> for each PE the writer remembers the session (connection) it last registered through. A
 * session's keep-alive loss or connection loss removes the PE only if that session is still the PE's session,
 * and a session is told ({@link Released}) when a PE it registered is removed or taken over by another session.
 */
public final class ShardWriter extends AbstractBehavior<ShardWriter.Command> {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "PoolShard");

    // ------------------------------------------------------------------ protocol

    /** What a shard writer accepts. */
    public sealed interface Command permits Register, Deregister, Resolve, ReportUnreachable, DropSessionElement,
            Wake, Expire, Stop, HandedOver, HandoverTimeout {
    }

    /**
     * Register or re-register a PE; answered with {@link Registered}.
     *
     * @param ownerHashHi the first 64 bits of SHA-256 of the client's owner secret (with {@code ownerHashLo}: the
     *                    next 64; both 0: the client sent none)
     * @param sessionHolds whether the sending session holds the PE (a writer that started after the PE registered
     *                    knows no session for it, and asks the session)
     */
    public record Register(PoolHandle handle, int peId, PolicyInfo policy, AddressBlock addresses, int lifeMs,
                           int homeRegistrarId, long ownerHashHi, long ownerHashLo, long requestId,
                           ActorRef<Reply> replyTo, boolean sessionHolds) implements Command {
        public Register(PoolHandle handle, int peId, PolicyInfo policy, AddressBlock addresses, int lifeMs,
                        int homeRegistrarId, long ownerHashHi, long ownerHashLo, long requestId,
                        ActorRef<Reply> replyTo) {
            this(handle, peId, policy, addresses, lifeMs, homeRegistrarId, ownerHashHi, ownerHashLo, requestId,
                    replyTo, false);
        }
    }

    /** Remove a PE, if the sender holds it or presents its owner hash; answered with {@link Deregistered}. */
    public record Deregister(PoolHandle handle, int peId, long ownerHashHi, long ownerHashLo, long requestId,
                             ActorRef<Reply> replyTo, boolean sessionHolds) implements Command {
        public Deregister(PoolHandle handle, int peId, long ownerHashHi, long ownerHashLo, long requestId,
                          ActorRef<Reply> replyTo) {
            this(handle, peId, ownerHashHi, ownerHashLo, requestId, replyTo, false);
        }
    }

    /** Owner-mode handle resolution; answered with {@link Resolved}. */
    public record Resolve(PoolHandle handle, int maxItems, long requestId, ActorRef<Reply> replyTo)
            implements Command {
    }

    /**
     * A PU could not reach a PE; answered with {@link Reported}.
     *
     * @param reporter the reporting connection (its registrar's id in the high 32 bits): each counts once
     */
    public record ReportUnreachable(PoolHandle handle, int peId, long reporter, long requestId,
                                    ActorRef<Reply> replyTo) implements Command {
    }

    /**
     * A session lost a PE (keep-alive unanswered, or its connection closed): remove the PE if it is still
     * registered through that session. Not answered.
     *
     * @param stamp the PE's registration stamp in the session's last {@link Registered} or {@link Reclaimed} (0:
     *              none): a writer that knows no session for the PE (it started after the PE registered) removes
     *              it only if nobody registered it since
     */
    public record DropSessionElement(PoolHandle handle, int peId, Delta.Reason reason, int sessionRegistrarId,
                                     ActorRef<Reply> session, boolean inFlight, long stamp) implements Command {
        /** A PE the session held. */
        public DropSessionElement(PoolHandle handle, int peId, Delta.Reason reason, int sessionRegistrarId,
                                  ActorRef<Reply> session) {
            this(handle, peId, reason, sessionRegistrarId, session, false, 0);
        }
    }

    /**
     * Start (if not running) and acknowledge to {@code ack}; {@code registrarLeft} (0: none) left the cluster, so
     * its PEs here get the takeover grace.
     */
    public record Wake(int registrarLeft, ActorRef<Auditor.WriterAwake> ack) implements Command {
    }

    /** The expiry timer's message. */
    enum Expire implements Command { INSTANCE }

    /** Sent by Cluster Sharding to stop the writer (hand-off to another node, or shutdown). */
    enum Stop implements Command { INSTANCE }

    /** The predecessor's table of the shard has been pulled (or the pull ended otherwise). */
    private enum HandedOver implements Command { INSTANCE }

    /** The predecessor did not hand over in time: write from this replica as it is. */
    private enum HandoverTimeout implements Command { INSTANCE }

    /** What a shard writer sends to sessions. */
    public sealed interface Reply permits Registered, Deregistered, Resolved, Reported, Released, Reclaimed {
    }

    /**
     * @param status {@link Status#ADDED}, {@link Status#UPDATED} or the reason for refusal
     * @param stamp  when applied, the PE's registration stamp (its last registration's time, µs, replicated with
     *               it); 0 otherwise
     */
    public record Registered(long requestId, PoolHandle poolHandle, int peId, Status status, long stamp)
            implements Reply {
        public Registered(long requestId, PoolHandle poolHandle, int peId, Status status) {
            this(requestId, poolHandle, peId, status, 0);
        }
    }

    /** @param status {@link Status#REMOVED}, {@link Status#UNKNOWN_POOL_HANDLE}, {@link Status#UNKNOWN_POOL_ELEMENT} */
    public record Deregistered(long requestId, PoolHandle poolHandle, int peId, Status status) implements Reply {
    }

    /** @param status {@link Status#REPORTED} or {@link Status#UNKNOWN_POOL_HANDLE} */
    public record Resolved(long requestId, PoolHandle poolHandle, int policyType, List<PoolElementEntry> elements,
                           Status status) implements Reply {
    }

    /** @param status {@link Status#REPORTED}, {@link Status#REMOVED}, or an unknown-handle/element status */
    public record Reported(long requestId, PoolHandle poolHandle, int peId, Status status) implements Reply {
    }

    /** The PE is no longer registered through the session this is sent to (removed, or registered elsewhere). */
    public record Released(PoolHandle poolHandle, int peId) implements Reply {
    }

    /**
     * The PE is registered through the session this is sent to again: the session it went to lost its connection,
     * and that session's registration was older than this one's (it overtook this one on its way).
     */
    public record Reclaimed(PoolHandle poolHandle, int peId, long stamp) implements Reply {
    }

    // ------------------------------------------------------------------ creation

    /**
     * What a shard writer works with, besides its shard.
     *
     * @param registrarId    this node's registrar id (the writer id of its deltas)
     * @param replica        this node's replica, whose shard the writer changes
     * @param deltas         where each change goes (the outbound replication)
     * @param clock          the registrar's clock
     * @param liveRegistrars the registrars that are members now (PEs homed elsewhere lost their home)
     * @param hosted         where the writer records that its shard is written here
     * @param wakeAtNewHome  sends a {@link Wake} for a shard through Cluster Sharding (to its new home)
     * @param puller         pulls the shard from a live predecessor before this writer starts
     * @param maxBadPeReports MaxBadPEReports
     * @param takeoverGrace  how long PEs whose home left stay, unless they re-register elsewhere
     * @param limits         the node's pool and PE limits
     * @param reportWindow   how long an unreachability report counts
     * @param rejections     where refused requests are logged (rate-limited)
     * @param connectionLossGrace how long a session waits after its connection closed before it drops its PEs
     */
    public record Context(int registrarId, NodeReplica replica, Consumer<Delta> deltas, MicrosClock clock,
                          Supplier<Set<Integer>> liveRegistrars, HostedShards hosted, Consumer<Integer> wakeAtNewHome,
                          ShardPuller puller, int maxBadPeReports, Duration takeoverGrace, WriterLimits limits,
                          Duration reportWindow, BadInputLog rejections, Duration connectionLossGrace) {
        long reportWindowMicros() {
            return reportWindow.toNanos() / 1000;
        }

        /** How soon after a displacement a connection-loss drop of the taker gives the PE back: see RECLAIM_NANOS. */
        long reclaimNanos() {
            return reclaimWindow(connectionLossGrace).toNanos();
        }
    }

    /** The node-wide limits a writer admits new pools and PEs under. */
    public record WriterLimits(Limit pools, Limit elements, NodeReplica replica) {
        /** No limits (tests). */
        public static WriterLimits none(NodeReplica replica) {
            return new WriterLimits(new Limit("max-pools", Long.MAX_VALUE),
                    new Limit("max-pool-elements", Long.MAX_VALUE), replica);
        }

        boolean admitsNewElement(boolean newPool) {
            return elements.admits(replica.elementsNow()) && (!newPool || pools.admits(replica.poolsNow()));
        }
    }

    /** How long a writer waits for its live predecessor's table before it writes from its replica as it is. */
    static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(2);

    /** Commands kept while the predecessor's table is pulled; beyond, they are dropped (their clients retry). */
    private static final int MAX_STASHED = 100_000;
    /**
     * Every PE removal with its reason, at DEBUG (off by default): {@code -Dpoolkeeper.removals=DEBUG} turns it on,
     * which the fault runs do to name the cause of every missing PE.
     */
    private static final org.slf4j.Logger REMOVALS = org.slf4j.LoggerFactory.getLogger("poolkeeper.removals");

    /**
     * The writer of {@code shard}. When the shard's pools here name a live registrar as writer (it handed the shard
     * off), their table is pulled from it first, commands waiting meanwhile (at most {@link #HANDOVER_TIMEOUT}).
     * A failure (a bug) restarts the writer: the new incarnation starts from the replica.
     */
    public static Behavior<Command> create(int shard, Context context, Replies replies) {
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withStash(MAX_STASHED,
                        stash -> Behaviors.<Command>withTimers(timers -> start(ctx, stash, timers, shard, context,
                                replies)))))
                .onFailure(SupervisorStrategy.restart());
    }

    /** A writer whose replies go straight to their sessions (one node, tests). */
    static Behavior<Command> create(int shard, Context context) {
        return create(shard, context, Replies.DIRECT);
    }

    /** How a writer's replies reach sessions (on another node: through the {@link Relay}). */
    @FunctionalInterface
    public interface Replies {
        Replies DIRECT = ActorRef::tell;

        void send(ActorRef<Reply> to, Reply reply);
    }

    private static Behavior<Command> start(ActorContext<Command> ctx, StashBuffer<Command> stash,
                                           TimerScheduler<Command> timers, int shard, Context c,
                                           Replies replies) {
        Set<Integer> live = c.liveRegistrars().get();
        int predecessor = c.replica().apply(shard, s -> {
            ShardReplica.WriterTotal most = null;
            for (ShardReplica.WriterTotal t : s.writerTotals()) {
                if (t.writer() != c.registrarId() && live.contains(t.writer())
                        && (most == null || t.pools() > most.pools())) {
                    most = t;
                }
            }
            return most == null ? 0 : most.writer();
        });
        if (predecessor == 0) {
            return new ShardWriter(ctx, timers, shard, c, replies);
        }
        long since = System.nanoTime();
        ctx.getLog().info("shard {}: taking it over from registrar {}, which is live: pulling its table first", shard,
                String.format("0x%08x", predecessor));
        c.puller().pullShard(predecessor, shard, ctx.messageAdapter(Inbox.PullDone.class, d -> HandedOver.INSTANCE));
        timers.startSingleTimer(HandoverTimeout.INSTANCE, HANDOVER_TIMEOUT);
        return Behaviors.receive(Command.class)
                .onMessageEquals(HandedOver.INSTANCE, () -> {
                    timers.cancel(HandoverTimeout.INSTANCE);
                    ctx.getLog().debug("shard {}: handed over in {} ms", shard, (System.nanoTime() - since) / 1_000_000);
                    return stash.unstashAll(new ShardWriter(ctx, timers, shard, c, replies));
                })
                .onMessageEquals(HandoverTimeout.INSTANCE, () -> {
                    ctx.getLog().warn("shard {}: registrar {} did not hand its table over within {} ms: writing from "
                            + "this replica", shard, String.format("0x%08x", predecessor), HANDOVER_TIMEOUT.toMillis());
                    return stash.unstashAll(new ShardWriter(ctx, timers, shard, c, replies));
                })
                .onMessageEquals(Stop.INSTANCE, () -> {
                    c.wakeAtNewHome().accept(shard); // moved on before it started: start at the next home
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> {
                    if (stash.isFull()) {
                        ctx.getLog().warn("shard {}: {} commands wait for the hand-over: dropping {}", shard,
                                MAX_STASHED, m.getClass().getSimpleName());
                    } else {
                        stash.stash(m);
                    }
                    return Behaviors.same();
                })
                .build();
    }

    // ------------------------------------------------------------------ state

    /** A PE registered through a session. */
    private record PeKey(PoolHandle handle, int peId) {
    }

    private final TimerScheduler<Command> timers;
    private final int shard;
    private final Context c;
    private final Replies replies;
    private final Map<PeKey, ActorRef<Reply>> sessions = new HashMap<>();
    /**
     * Sessions known to have closed (they said so with a connection-loss drop), by {@link #identity} (a reference
     * would keep the closed connection's whole stream in memory), with when: a registration of theirs that arrives
     * later is not applied, since nobody would keep its PE alive. Kept for {@link #CLOSED_NANOS}.
     */
    private final LinkedHashMap<Long, Long> closedSessions = new LinkedHashMap<>();
    /**
     * The sessions a PE was taken from by other sessions within {@link #RECLAIM_NANOS}, the latest first: see
     * onDropSessionElement.
     */
    private final LinkedHashMap<PeKey, Displaced> displaced = new LinkedHashMap<>();

    /**
     * A session that held a PE until {@code atNanos}, and the ones displaced before it. A chain, not one session: a
     * client that gave up on several connections in a row (each closed while its registration waited for a
     * takeover) has a copy of the registration from each on its way, and they can reach the writer after the live
     * connection's (region buffer and relay are two paths); each closed one takes the PE in turn.
     */
    private record Displaced(ActorRef<Reply> session, long atNanos, Displaced earlier) {
    }

    /** The most sessions remembered as displaced for one PE. */
    private static final int MAX_DISPLACED = 8;

    /** How long a closed session is remembered: beyond any copy of its registrations still on its way. */
    private static final long CLOSED_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * How soon after a PE was taken from a session (beyond the connection-loss grace, by which the drop is delayed)
     * the taker's connection loss gives it back: a registration that overtook a closed connection's last one is
     * followed by that connection's drop within moments; later, the session it was taken from may well be gone
     * too (its registrar died, its client moved on).
     */
    private static final long RECLAIM_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * How long after a PE was taken from a session the writer may give it back to that session (see
     * onDropSessionElement): the connection-loss grace plus {@link #RECLAIM_NANOS}. A session the PE was taken
     * from remembers it that long, and drops it when it closes meanwhile, so that a PE given back to a session
     * that has closed is not left to nobody.
     */
    public static Duration reclaimWindow(Duration connectionLossGrace) {
        return connectionLossGrace.plusNanos(RECLAIM_NANOS);
    }
    private static final int MAX_REMEMBERED = 10_000;
    private final List<Delta> changes = new ArrayList<>();
    private final Consumer<Delta> collect = changes::add;
    /** The deadline the timer is armed for (µs), or Long.MAX_VALUE when it is not armed. */
    private long armedDeadline = Long.MAX_VALUE;

    private ShardWriter(ActorContext<Command> context, TimerScheduler<Command> timers, int shard, Context c,
                        Replies replies) {
        super(context);
        // its own class as logger, not the supervisor's or the timers' wrapper Pekko would otherwise name
        context.setLoggerName(ShardWriter.class);
        this.timers = timers;
        this.shard = shard;
        this.c = c;
        this.replies = replies;
        long now = c.clock().nowMicros();
        Set<Integer> live = c.liveRegistrars().get();
        long graceDeadline = now + c.takeoverGrace().toNanos() / 1000;
        int[] started = c.replica().apply(shard, s -> {
            s.beginIncarnation(c.registrarId(), now);
            int graced = 0;
            for (int home : s.homeRegistrars()) {
                if (!live.contains(home)) {
                    graced += s.limitDeadlines(home, graceDeadline);
                }
            }
            return new int[] {s.poolCount(), s.elementCount(), graced};
        });
        c.hosted().started(shard);
        if (started[0] > 0) {
            context.getLog().info("shard {}: writing {} pools ({} PEs) from the replica; {} PEs homed at registrars "
                    + "that left get the takeover grace", shard, started[0], started[1], started[2]);
        }
        rearm();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Register.class, this::onRegister)
                .onMessage(Resolve.class, this::onResolve)
                .onMessage(Deregister.class, this::onDeregister)
                .onMessage(ReportUnreachable.class, this::onReportUnreachable)
                .onMessage(DropSessionElement.class, this::onDropSessionElement)
                .onMessage(Wake.class, this::onWake)
                .onMessageEquals(Expire.INSTANCE, this::onExpire)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .build();
    }

    // ------------------------------------------------------------------ handlers

    private Behavior<Command> onRegister(Register r) {
        forgetOld(displaced, c.reclaimNanos(), Displaced::atNanos); // no closed session's stream kept for long
        long now = c.clock().nowMicros();
        PeKey key = new PeKey(r.handle(), r.peId());
        if (closedSessions.containsKey(identity(r.replyTo()))) {
            // in flight when its connection closed: applied now it would leave a PE that nobody keeps alive
            replies.send(r.replyTo(), new Registered(r.requestId(), r.handle(), r.peId(), Status.REJECTED));
            return this;
        }
        ActorRef<Reply> holding = sessions.get(key);
        Status status = c.replica().apply(shard, s -> {
            PoolElement e = s.find(r.handle(), r.peId());
            if (e == null && !c.limits().admitsNewElement(s.pool(r.handle()) == null)) {
                return Status.LACK_OF_RESOURCES;
            }
            return s.register(r.handle(), r.peId(), r.policy(), r.addresses(), r.lifeMs(), r.homeRegistrarId(), now,
                    r.ownerHashHi(), r.ownerHashLo(), holds(holding, r.replyTo(), e, r.sessionHolds()), collect);
        });
        if (status == Status.REJECTED) {
            c.rejections().log(r.replyTo(), "re-registration of " + r.handle() + " PE "
                    + Integer.toUnsignedString(r.peId(), 16) + " by a client that does not own it");
        }
        if (status == Status.ADDED || status == Status.UPDATED) {
            ActorRef<Reply> previous = sessions.put(key, r.replyTo());
            if (previous != null && !previous.equals(r.replyTo())) {
                replies.send(previous, new Released(r.handle(), r.peId()));
                long nowNanos = System.nanoTime();
                Displaced earlier = recent(displaced.remove(key), r.replyTo(), previous, nowNanos);
                remember(displaced, key, new Displaced(previous, nowNanos, earlier), c.reclaimNanos(),
                        Displaced::atNanos);
            }
            // a holder registering again keeps the chain: it may be a closed session's late copy, and the session
            // it took the PE from gets it back at that session's drop
        }
        publish();
        // an applied registration stamps the PE with its time (PoolElement.lastReregisteredAt)
        long stamp = status == Status.ADDED || status == Status.UPDATED ? now : 0;
        replies.send(r.replyTo(), new Registered(r.requestId(), r.handle(), r.peId(), status, stamp));
        return this;
    }

    private Behavior<Command> onDeregister(Deregister d) {
        ActorRef<Reply> holding = sessions.get(new PeKey(d.handle(), d.peId()));
        Status status = c.replica().apply(shard, s -> s.deregister(d.handle(), d.peId(), d.ownerHashHi(),
                d.ownerHashLo(), holds(holding, d.replyTo(), s.find(d.handle(), d.peId()), d.sessionHolds()), collect));
        if (status == Status.REJECTED) {
            c.rejections().log(d.replyTo(), "deregistration of " + d.handle() + " PE "
                    + Integer.toUnsignedString(d.peId(), 16) + " by a client that does not own it");
        }
        publish();
        replies.send(d.replyTo(), new Deregistered(d.requestId(), d.handle(), d.peId(), status));
        return this;
    }

    private Behavior<Command> onResolve(Resolve r) {
        long now = c.clock().nowMicros();
        Resolved resolved = c.replica().apply(shard, s -> {
            Pool pool = s.pool(r.handle());
            if (pool == null) {
                return new Resolved(r.requestId(), r.handle(), 0, List.of(), Status.UNKNOWN_POOL_HANDLE);
            }
            PoolElement[] out = new PoolElement[HandlespaceConfig.HANDLE_RESOLUTION_ITEMS_CAP];
            int n = pool.resolve(r.maxItems(), 0, now, out);
            List<PoolElementEntry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                entries.add(WireMapping.resolutionEntry(out[i], pool.policy()));
            }
            return new Resolved(r.requestId(), r.handle(), pool.policy().code(), entries, Status.REPORTED);
        });
        replies.send(r.replyTo(), resolved);
        return this;
    }

    private Behavior<Command> onReportUnreachable(ReportUnreachable r) {
        long now = c.clock().nowMicros();
        Status status = c.replica().apply(shard, s -> s.reportUnreachable(r.handle(), r.peId(), r.reporter(), now,
                c.reportWindowMicros(), c.maxBadPeReports(), collect));
        publish();
        replies.send(r.replyTo(), new Reported(r.requestId(), r.handle(), r.peId(), status));
        return this;
    }

    private Behavior<Command> onDropSessionElement(DropSessionElement d) {
        PeKey key = new PeKey(d.handle(), d.peId());
        ActorRef<Reply> session = sessions.get(key);
        if (d.reason() == Delta.Reason.CONNECTION_LOST) {
            // the session closed: it applies no more registrations, and if it got the PE, the PE goes, unless it
            // took the PE lately from a session not known to have closed: then a registration the closed session
            // sent before its client went on to the other connection arrived after that connection's, and the PE
            // is the other session's again
            long now = System.nanoTime();
            remember(closedSessions, identity(d.session()), now, CLOSED_NANOS, Long::longValue);
            if (d.session().equals(session)) {
                for (Displaced was = displaced.get(key); was != null && now - was.atNanos() < c.reclaimNanos();
                     was = was.earlier()) {
                    if (!was.session().equals(d.session()) && !closedSessions.containsKey(identity(was.session()))) {
                        sessions.put(key, was.session());
                        if (was.earlier() == null) {
                            displaced.remove(key);
                        } else {
                            displaced.put(key, was.earlier());
                        }
                        replies.send(was.session(),
                                new Reclaimed(d.handle(), d.peId(), stampOf(d.handle(), d.peId())));
                        return this;
                    }
                }
            }
            if (d.inFlight() && (session == null || !session.equals(d.session()))) {
                return this; // it never got the PE: nothing to undo
            }
        }
        boolean dropped = c.replica().apply(shard, s -> {
            PoolElement e = s.find(d.handle(), d.peId());
            if (e == null) {
                return false;
            }
            // a writer that started after the PE registered knows no session for it: the dropping session held it if
            // it is of the PE's home registrar and nobody registered the PE since that session's registration (a
            // client that reconnected to the same registrar registered it through a new session meanwhile)
            boolean bySession = session != null ? session.equals(d.session())
                    : e.homeRegistrarId() == d.sessionRegistrarId()
                            && (d.stamp() == 0 || d.stamp() == e.lastReregisteredAt());
            return bySession && s.deregister(d.handle(), d.peId(), d.reason(), collect) == Status.REMOVED;
        });
        if (dropped) {
            sessions.remove(key); // the session knows: no Released back to it
            getContext().getLog().debug("pool {}: PE {} removed: {}", d.handle(),
                    Integer.toUnsignedString(d.peId(), 16), d.reason());
        }
        publish();
        return this;
    }

    private Behavior<Command> onWake(Wake w) {
        if (w.registrarLeft() != 0 && w.registrarLeft() != c.registrarId()) {
            long graceDeadline = c.clock().nowMicros() + c.takeoverGrace().toNanos() / 1000;
            c.replica().apply(shard, s -> s.limitDeadlines(w.registrarLeft(), graceDeadline));
            rearm();
        }
        if (w.ack() != null) {
            w.ack().tell(new Auditor.WriterAwake(shard, c.registrarId()));
        }
        return this;
    }

    private Behavior<Command> onExpire() {
        armedDeadline = Long.MAX_VALUE;
        long now = c.clock().nowMicros();
        Set<Integer> live = c.liveRegistrars().get();
        c.replica().apply(shard, s -> s.expire(now, live::contains, collect));
        publish();
        return this;
    }

    private Behavior<Command> onStop() {
        int pools = c.replica().apply(shard, s -> {
            s.endIncarnation();
            return s.poolCount();
        });
        c.hosted().stopped(shard);
        if (pools > 0) {
            c.wakeAtNewHome().accept(shard); // handed off: start at the new home now, not at the next message
        }
        return Behaviors.stopped();
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Whether {@code session} holds the PE {@code e} ({@code holding}: the session the writer knows for it, or
     * null): it registered it last. A writer that started after the PE registered
     * (a takeover, a restart) knows no session for it; then the session says whether it holds the PE (it was told
     * so by the PE's earlier writer): a client cannot claim it, the registrar's session decides.
     */
    private static boolean holds(ActorRef<Reply> holding, ActorRef<Reply> session, PoolElement e,
                                 boolean sessionHolds) {
        if (holding != null) {
            return holding.equals(session);
        }
        return e == null || sessionHolds;
    }

    /** The registration stamp of a PE of this shard (see {@link Registered#stamp()}), 0 if it is not listed. */
    private long stampOf(PoolHandle handle, int peId) {
        return c.replica().apply(shard, s -> {
            PoolElement e = s.find(handle, peId);
            return e == null ? 0L : e.lastReregisteredAt();
        });
    }

    /**
     * The chain {@code chain} without {@code holder} (it holds the PE now) and {@code previous} (it goes first),
     * without displacements older than the reclaim window, and at most {@link #MAX_DISPLACED} - 1 long.
     */
    private Displaced recent(Displaced chain, ActorRef<Reply> holder, ActorRef<Reply> previous, long nowNanos) {
        List<Displaced> kept = new ArrayList<>();
        for (Displaced d = chain; d != null && kept.size() < MAX_DISPLACED - 1
                && nowNanos - d.atNanos() < c.reclaimNanos(); d = d.earlier()) {
            if (!d.session().equals(holder) && !d.session().equals(previous)) {
                kept.add(d);
            }
        }
        Displaced rebuilt = null;
        for (int i = kept.size() - 1; i >= 0; i--) {
            rebuilt = new Displaced(kept.get(i).session(), kept.get(i).atNanos(), rebuilt);
        }
        return rebuilt;
    }

    /**
     * Adds to a memory of recent events in the order they happened, forgetting those older than {@code keepNanos}
     * and the oldest beyond {@link #MAX_REMEMBERED}.
     */
    private static <K, V> void remember(LinkedHashMap<K, V> memory, K key, V value, long keepNanos,
                                        java.util.function.ToLongFunction<V> when) {
        memory.put(key, value);
        forgetOld(memory, keepNanos, when);
    }

    private static <K, V> void forgetOld(LinkedHashMap<K, V> memory, long keepNanos,
                                         java.util.function.ToLongFunction<V> when) {
        long now = System.nanoTime();
        java.util.Iterator<V> oldest = memory.values().iterator();
        while (oldest.hasNext()) {
            V v = oldest.next();
            if (memory.size() <= MAX_REMEMBERED && now - when.applyAsLong(v) < keepNanos) {
                break;
            }
            oldest.remove();
        }
    }

    /** A session's identity that keeps nothing of it alive: its path's hash and its incarnation's uid. */
    private static long identity(ActorRef<?> session) {
        return ((long) session.path().toStringWithoutAddress().hashCode() << 32)
                ^ Integer.toUnsignedLong(session.path().uid())
                ^ ((long) session.path().address().hashCode() * 0x9E3779B97F4A7C15L);
    }

    /** Hands the changes just made to the outbound replication, tells the sessions of removed PEs, re-arms. */
    private void publish() {
        for (Delta d : changes) {
            c.deltas().accept(d);
            if (d.action() == Delta.Action.REMOVE) {
                if (REMOVALS.isDebugEnabled()) {
                    REMOVALS.debug("PE {} of pool {} removed by the writer of shard {} on registrar {}: {}",
                            Integer.toHexString(d.peId()), d.poolHandle(), shard,
                            Integer.toHexString(c.registrarId()), d.reason());
                }
                ActorRef<Reply> session = sessions.remove(new PeKey(d.poolHandle(), d.peId()));
                if (session != null) {
                    replies.send(session, new Released(d.poolHandle(), d.peId()));
                }
            }
        }
        changes.clear();
        rearm();
    }

    private void rearm() {
        long next = c.replica().apply(shard, ShardReplica::nextDeadline);
        if (next == Long.MAX_VALUE) {
            if (armedDeadline != Long.MAX_VALUE) {
                timers.cancel(Expire.INSTANCE);
                armedDeadline = Long.MAX_VALUE;
            }
        } else if (next < armedDeadline) {
            long delayMicros = Math.max(0, next - c.clock().nowMicros());
            timers.startSingleTimer(Expire.INSTANCE, Duration.ofMillis((delayMicros + 999) / 1000));
            armedDeadline = next;
        }
    }
}
