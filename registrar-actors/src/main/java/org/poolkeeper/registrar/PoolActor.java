package org.poolkeeper.registrar;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.wire.PoolElementEntry;

/**
 * The single writer of one pool: a Cluster Sharding entity per pool handle. It owns the pool's {@link Pool},
 * applies registrations, re-registrations, deregistrations, unreachability reports and session drops to it,
 * expires PEs with one actor timer, answers resolutions in owner mode, and publishes every change as a
 * {@link Delta} (consecutive sequence numbers within its epoch) to the node's {@link DeltaHub}.
 *
 * <p><b>Entity id:</b> the pool handle's bytes in lowercase hexadecimal ({@link #entityId}), reversible by
 * {@link #poolHandle(String)}; handles are opaque bytes, so they cannot be used as a string directly.
 *
 * <p><b>Timer:</b> one timer, keyed {@link Expire}, at the pool's earliest deadline. It is moved at once when
 * the earliest deadline moves earlier; when it moves later (the earliest PE re-registered) the timer is left
 * alone, fires early, expires nothing and is re-armed at the then earliest deadline. That saves a scheduler
 * operation per re-registration and still wakes the actor exactly once per real deadline.
 *
 * <p><b>Life cycle:</b> an incarnation takes a new epoch from the node's {@link Replica} and starts from the
 * PEs the replica holds for its pool (nothing, on a single node, unless a previous incarnation crashed), so a
 * restarted writer loses nothing the replica knew. PEs whose home registrar is no longer a live cluster member
 * (a node that died; its pools restart on the survivors, remembered entities) get the takeover grace then:
 * deadline = min(deadline, now + takeover-grace); {@link Orphaned} does the same for a running writer. When
 * the pool becomes empty the actor asks its shard to passivate it; messages arriving meanwhile are buffered
 * by the shard and start a new incarnation. Automatic idle passivation is off (a pool with PEs and no traffic must keep its timer).
 *
 * <p><b>Sessions:</b> for each PE the actor remembers the session (connection) it last registered through. A
 * session's keep-alive or connection loss removes the PE only if that session is still the PE's session, and
 * a session is told ({@link Released}) when a PE it registered is removed or taken over by another session.
 */
public final class PoolActor extends AbstractBehavior<PoolActor.Command> {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Pool");

    // ------------------------------------------------------------------ protocol

    /** What a PoolActor accepts. */
    public sealed interface Command permits Register, Deregister, Resolve, ReportUnreachable, DropSessionElement,
            Orphaned, Expire, Stop {
    }

    /** Register or re-register a PE; answered with {@link Registered}. */
    public record Register(int peId, PolicyInfo policy, AddressBlock addresses, int lifeMs, int homeRegistrarId,
                           long requestId, ActorRef<Reply> replyTo) implements Command {
    }

    /** Remove a PE; answered with {@link Deregistered}. */
    public record Deregister(int peId, long requestId, ActorRef<Reply> replyTo) implements Command {
    }

    /** Owner-mode handle resolution; answered with {@link Resolved}. */
    public record Resolve(int maxItems, long requestId, ActorRef<Reply> replyTo) implements Command {
    }

    /** A PU could not reach a PE; answered with {@link Reported}. */
    public record ReportUnreachable(int peId, long requestId, ActorRef<Reply> replyTo) implements Command {
    }

    /**
     * A session lost a PE (keep-alive unanswered, or its connection closed): remove the PE if it is still
     * registered through that session. Not answered.
     */
    public record DropSessionElement(int peId, Delta.Reason reason, int sessionRegistrarId, ActorRef<Reply> session)
            implements Command {
    }

    /**
     * The registrar {@code homeRegistrarId} left the cluster: the PEs homed there get the takeover grace
     * (deadline = min(deadline, now + grace)). Not answered.
     */
    public record Orphaned(int homeRegistrarId, int graceMs) implements Command {
    }

    /** The expiry timer's message. */
    enum Expire implements Command { INSTANCE }

    /** Sent by the shard after this actor asked to be passivated. */
    enum Stop implements Command { INSTANCE }

    /** What a PoolActor sends to sessions. */
    public sealed interface Reply permits Registered, Deregistered, Resolved, Reported, Released {
    }

    /** @param status {@link Status#ADDED}, {@link Status#UPDATED} or the reason for refusal */
    public record Registered(long requestId, PoolHandle poolHandle, int peId, Status status) implements Reply {
    }

    /** @param status {@link Status#REMOVED}, {@link Status#UNKNOWN_POOL_HANDLE}, {@link Status#UNKNOWN_POOL_ELEMENT} */
    public record Deregistered(long requestId, PoolHandle poolHandle, int peId, Status status) implements Reply {
    }

    /** @param status {@link Status#REPORTED} (or {@link Status#REMOVED}) or {@link Status#UNKNOWN_POOL_HANDLE} */
    public record Resolved(long requestId, PoolHandle poolHandle, int policyType, List<PoolElementEntry> elements,
                           Status status) implements Reply {
    }

    /** @param status {@link Status#REPORTED}, {@link Status#REMOVED}, or an unknown-handle/element status */
    public record Reported(long requestId, PoolHandle poolHandle, int peId, Status status) implements Reply {
    }

    /** The PE is no longer registered through the session this is sent to (removed, or registered elsewhere). */
    public record Released(PoolHandle poolHandle, int peId) implements Reply {
    }

    // ------------------------------------------------------------------ sharding

    /**
     * Starts Cluster Sharding of PoolActors on this node (idempotent) and returns the shard region, to which
     * commands are sent as {@code ShardingEnvelope(entityId(handle), command)}.
     */
    public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
        RegistrarNode node = RegistrarNode.get(system);
        return ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
                        ctx -> create(poolHandle(ctx.getEntityId()), node, ctx.getShard()))
                .withMessageExtractor(new HashCodeMessageExtractor<>(node.settings().numberOfShards()))
                .withStopMessage(Stop.INSTANCE));
    }

    private static final HexFormat HEX = HexFormat.of();

    /** The entity id of a pool handle: its bytes in lowercase hexadecimal. */
    public static String entityId(PoolHandle handle) {
        return HEX.formatHex(handle.bytes());
    }

    /** The pool handle of an entity id; the inverse of {@link #entityId}. */
    public static PoolHandle poolHandle(String entityId) {
        return PoolHandle.of(HEX.parseHex(entityId));
    }

    static Behavior<Command> create(PoolHandle handle, RegistrarNode node,
                                    ActorRef<ClusterSharding.ShardCommand> shard) {
        // a failure (a bug) restarts the actor: the new incarnation rebuilds the pool from the replica, new epoch
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withTimers(
                        timers -> new PoolActor(ctx, timers, handle, node, shard))))
                .onFailure(SupervisorStrategy.restart());
    }

    // ------------------------------------------------------------------ state

    private final TimerScheduler<Command> timers;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final PoolHandle handle;
    private final RegistrarSettings settings;
    private final MicrosClock clock;
    private final DeltaHub deltas;
    private final Replica replica;
    private final int registrarId;
    private final Pool pool;
    private final long epoch;
    private final Map<Integer, ActorRef<Reply>> sessions = new HashMap<>();
    private long sequence;
    /** The deadline the timer is armed for (µs), or Long.MAX_VALUE when it is not armed. */
    private long armedDeadline = Long.MAX_VALUE;
    private boolean passivating;

    private PoolActor(ActorContext<Command> context, TimerScheduler<Command> timers, PoolHandle handle,
                      RegistrarNode node, ActorRef<ClusterSharding.ShardCommand> shard) {
        super(context);
        this.timers = timers;
        this.shard = shard;
        this.handle = handle;
        this.settings = node.settings();
        this.clock = node.clock();
        this.deltas = node.deltas();
        this.replica = node.replica();
        this.registrarId = node.registrarId();
        this.pool = new Pool(handle, settings.handlespace(), System.nanoTime() ^ handle.hashCode());
        this.epoch = replica.beginIncarnation(handle);
        List<ElementSnapshot> known = replica.snapshots(handle);
        Set<Integer> live = known.isEmpty() ? Set.of() : liveRegistrars(context.getSystem());
        long graceDeadline = clock.nowMicros() + node.cluster().takeoverGrace().toNanos() / 1000;
        int orphans = 0;
        for (ElementSnapshot s : known) {
            if (!live.contains(s.homeRegistrarId()) && s.deadline() > graceDeadline) {
                // homed at a registrar that is gone: takeover grace to re-register elsewhere
                s = new ElementSnapshot(s.id(), s.policy(), s.addresses(), s.lifeMs(), s.homeRegistrarId(),
                        s.registeredAt(), s.lastReregisteredAt(), s.lastSelectedAt(), graceDeadline,
                        s.selectionSequence(), s.unreachableReports(), s.accumulatedDegradation(), s.roundCounter());
                orphans++;
            }
            pool.importElement(s);
        }
        if (orphans > 0) {
            context.getLog().info("pool {}: {} PEs homed at registrars that left get the takeover grace", handle,
                    orphans);
        }
        if (!known.isEmpty()) {
            context.getLog().info("pool {} restarted with {} PEs from the replica, epoch {}", handle, known.size(),
                    epoch);
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
                .onMessage(Orphaned.class, this::onOrphaned)
                .onMessageEquals(Expire.INSTANCE, this::onExpire)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .build();
    }

    // ------------------------------------------------------------------ handlers

    private Behavior<Command> onRegister(Register r) {
        long now = clock.nowMicros();
        Status status = pool.register(r.peId(), r.policy(), r.addresses(), r.lifeMs(), r.homeRegistrarId(), now);
        PoolElement evicted = pool.lastEvicted();
        if (evicted != null) {
            removed(evicted, Delta.Reason.EVICTION);
        }
        if (status == Status.ADDED || status == Status.UPDATED) {
            publish(status == Status.ADDED ? Delta.Action.ADD : Delta.Action.UPDATE, pool.find(r.peId()),
                    Delta.Reason.REGISTRATION);
            ActorRef<Reply> previous = sessions.put(r.peId(), r.replyTo());
            if (previous != null && !previous.equals(r.replyTo())) {
                previous.tell(new Released(handle, r.peId()));
            }
        }
        r.replyTo().tell(new Registered(r.requestId(), handle, r.peId(), status));
        return afterChange();
    }

    private Behavior<Command> onDeregister(Deregister d) {
        Status status;
        if (pool.isEmpty()) {
            status = Status.UNKNOWN_POOL_HANDLE;
        } else {
            PoolElement e = pool.find(d.peId());
            status = pool.deregister(d.peId());
            if (status == Status.REMOVED) {
                removed(e, Delta.Reason.DEREGISTRATION);
            }
        }
        d.replyTo().tell(new Deregistered(d.requestId(), handle, d.peId(), status));
        return afterChange();
    }

    private Behavior<Command> onResolve(Resolve r) {
        if (pool.isEmpty()) {
            r.replyTo().tell(new Resolved(r.requestId(), handle, 0, List.of(), Status.UNKNOWN_POOL_HANDLE));
            return afterChange();
        }
        PoolElement[] out = new PoolElement[settings.handlespace().maxHandleResolutionItems()];
        int n = pool.resolve(r.maxItems(), 0, clock.nowMicros(), out);
        List<PoolElementEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            entries.add(WireMapping.resolutionEntry(out[i], pool.policy()));
        }
        r.replyTo().tell(new Resolved(r.requestId(), handle, pool.policy().code(), entries, Status.REPORTED));
        return this;
    }

    private Behavior<Command> onReportUnreachable(ReportUnreachable r) {
        Status status;
        if (pool.isEmpty()) {
            status = Status.UNKNOWN_POOL_HANDLE;
        } else {
            PoolElement e = pool.find(r.peId());
            status = pool.reportUnreachable(r.peId(), settings.maxBadPeReports());
            if (status == Status.REMOVED) {
                removed(e, Delta.Reason.UNREACHABLE);
            }
        }
        r.replyTo().tell(new Reported(r.requestId(), handle, r.peId(), status));
        return afterChange();
    }

    private Behavior<Command> onDropSessionElement(DropSessionElement d) {
        PoolElement e = pool.find(d.peId());
        if (e != null) {
            ActorRef<Reply> session = sessions.get(d.peId());
            boolean ownedBySession = session != null
                    ? session.equals(d.session())
                    : e.homeRegistrarId() == d.sessionRegistrarId(); // restarted writer: no session known
            if (ownedBySession) {
                sessions.remove(d.peId()); // the session knows: no Released back to it
                pool.deregister(d.peId());
                removed(e, d.reason());
                getContext().getLog().debug("pool {}: PE {} removed: {}", handle,
                        Integer.toUnsignedString(d.peId(), 16), d.reason());
            }
        }
        return afterChange();
    }

    private Behavior<Command> onOrphaned(Orphaned o) {
        long graceDeadline = clock.nowMicros() + o.graceMs() * 1000L;
        List<Integer> ids = new ArrayList<>();
        pool.forEach(e -> {
            if (e.homeRegistrarId() == o.homeRegistrarId() && e.expiryDeadline() > graceDeadline) {
                ids.add(e.id());
            }
        });
        for (int id : ids) {
            pool.setDeadline(id, graceDeadline);
        }
        return afterChange();
    }

    /** The registrar ids of the cluster members that are (about to be) up. */
    static Set<Integer> liveRegistrars(ActorSystem<?> system) {
        Set<Integer> ids = new HashSet<>();
        for (Member m : Cluster.get(system).state().getMembers()) {
            MemberStatus st = m.status();
            if (st == MemberStatus.up() || st == MemberStatus.joining() || st == MemberStatus.weaklyUp()) {
                for (String role : m.getRoles()) {
                    int id = ClusterSettings.registrarId(role);
                    if (id != 0) {
                        ids.add(id);
                    }
                }
            }
        }
        ids.add(RegistrarNode.get(system).registrarId());
        return ids;
    }

    private Behavior<Command> onExpire() {
        armedDeadline = Long.MAX_VALUE;
        pool.expire(clock.nowMicros(), e -> removed(e, Delta.Reason.EXPIRY));
        return afterChange();
    }

    private Behavior<Command> onStop() {
        replica.endIncarnation(handle, epoch);
        return Behaviors.stopped();
    }

    // ------------------------------------------------------------------ helpers

    /** Publishes the removal of {@code e} (already out of the pool) and tells its session. */
    private void removed(PoolElement e, Delta.Reason reason) {
        publish(Delta.Action.REMOVE, e, reason);
        ActorRef<Reply> session = sessions.remove(e.id());
        if (session != null) {
            session.tell(new Released(handle, e.id()));
        }
    }

    private void publish(Delta.Action action, PoolElement e, Delta.Reason reason) {
        ElementSnapshot element = action == Delta.Action.REMOVE ? null : e.snapshot();
        deltas.publish(new Delta(handle, epoch, ++sequence, action, e.id(), element, reason, registrarId));
    }

    private Behavior<Command> afterChange() {
        rearm();
        if (pool.isEmpty() && !passivating) {
            passivating = true;
            shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
        } else if (!pool.isEmpty()) {
            passivating = false; // a message the shard delivered before the Passivate arrived refilled the pool
        }
        return this;
    }

    private void rearm() {
        long next = pool.nextDeadline();
        if (next == Long.MAX_VALUE) {
            if (armedDeadline != Long.MAX_VALUE) {
                timers.cancel(Expire.INSTANCE);
                armedDeadline = Long.MAX_VALUE;
            }
        } else if (next < armedDeadline) {
            long delayMicros = Math.max(0, next - clock.nowMicros());
            timers.startSingleTimer(Expire.INSTANCE, Duration.ofMillis((delayMicros + 999) / 1000));
            armedDeadline = next;
        }
    }
}
