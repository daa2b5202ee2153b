package org.poolkeeper.registrar.replication;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;

/**
 * Outbound batching: sends this node's deltas ({@link DeltaQueue}) to every peer's {@link Inbox} as
 * {@link HandleUpdateBatch}es of at most {@code replication.batch-size} updates, at most one batch per
 * {@code replication.batch-interval}: a delta made when the last batch left longer ago than that leaves at once
 * (no delay on an idle node), and under load every batch carries whatever came in since the last one (few large
 * messages instead of one per delta). After an overflow of the queue the next batch carries
 * {@code resync_required}: the peers pull this node's table. The peers are the registrars that are Up, and any
 * that asked this node for a table meanwhile (a joining registrar is ready for deltas before it is Up
 * everywhere).
 */
public final class Outbox extends AbstractBehavior<Outbox.Command> {

    /** What the outbox accepts (all local). */
    public sealed interface Command permits Drain, Send, PeerReady, MembersChanged {
    }

    /** The queue has deltas. */
    enum Drain implements Command { INSTANCE }

    /** The batch interval since the last batch has passed: send what is queued. */
    private enum Send implements Command { INSTANCE }

    /** A registrar asked this node for a table: it receives deltas from now on, Up or not yet. */
    record PeerReady(int registrarId, Address address) implements Command {
    }

    private record MembersChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    public static Behavior<Command> create(DeltaQueue queue, Membership membership, int batchSize,
                                           java.time.Duration batchInterval, ReplicationStats stats) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Outbox(ctx, timers, queue, membership,
                batchSize, batchInterval, stats)));
    }

    private final org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers;
    private final DeltaQueue queue;
    private final Membership membership;
    private final int batchSize;
    private final long batchIntervalNanos;
    private long lastSentNanos;
    private final ReplicationStats stats;
    private final Map<Integer, ActorRef<EnrpMessage>> peers = new HashMap<>();
    private final Map<Integer, Address> ready = new HashMap<>();
    private boolean overflowReported;

    private Outbox(ActorContext<Command> ctx, org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers,
                   DeltaQueue queue, Membership membership, int batchSize, java.time.Duration batchInterval,
                   ReplicationStats stats) {
        super(ctx);
        // its own class as logger, not the supervisor's or the timers' wrapper Pekko would otherwise name
        ctx.setLoggerName(Outbox.class);
        this.timers = timers;
        this.queue = queue;
        this.membership = membership;
        this.batchSize = batchSize;
        this.batchIntervalNanos = batchInterval.toNanos();
        this.lastSentNanos = System.nanoTime() - batchIntervalNanos;
        this.stats = stats;
        ActorRef<Command> self = ctx.getSelf();
        queue.onWake(() -> self.tell(Drain.INSTANCE));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new),
                ClusterEvent.MemberEvent.class));
        refreshPeers();
        if (queue.size() > 0) {
            self.tell(Drain.INSTANCE);
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Drain.INSTANCE, this::onDrain)
                .onMessageEquals(Send.INSTANCE, this::onSend)
                .onMessage(PeerReady.class, this::onPeerReady)
                .onMessage(MembersChanged.class, this::onMembersChanged)
                .build();
    }

    private Behavior<Command> onDrain() {
        if (timers.isTimerActive(Send.INSTANCE)) {
            return this; // a batch is due soon and takes these along
        }
        long sinceLast = System.nanoTime() - lastSentNanos;
        if (sinceLast >= batchIntervalNanos) {
            return onSend();
        }
        timers.startSingleTimer(Send.INSTANCE, java.time.Duration.ofNanos(batchIntervalNanos - sinceLast));
        return this;
    }

    private Behavior<Command> onSend() {
        lastSentNanos = System.nanoTime();
        List<Delta> deltas;
        do {
            deltas = queue.drain(batchSize);
            send(deltas, queue.takeOverflow());
        } while (deltas.size() == batchSize); // a backlog leaves in full batches at once
        return this;
    }

    private void send(List<Delta> deltas, boolean overflowed) {
        if (deltas.isEmpty() && !overflowed) {
            return;
        }
        if (peers.isEmpty()) {
            // no registrar to send to (nothing is built): one that comes pulls this node's table, which holds these
            if (overflowed) {
                stats.overflows.incrementAndGet();
            }
            return;
        }
        HandleUpdateBatch.Builder batch = HandleUpdateBatch.newBuilder().setSenderRegistrarId(membership.self());
        for (Delta d : deltas) {
            batch.addUpdates(WireMapping.handleUpdate(d));
        }
        if (overflowed) {
            stats.overflows.incrementAndGet();
            batch.setResyncRequired(true);
            if (!overflowReported) {
                overflowReported = true;
                getContext().getLog().warn("replication buffer overflowed: the peers pull this node's table");
            }
        } else {
            overflowReported = false;
        }
        EnrpMessage message = EnrpMessage.newBuilder().setHandleUpdateBatch(batch).build();
        int bytes = message.getSerializedSize();
        for (Map.Entry<Integer, ActorRef<EnrpMessage>> peer : peers.entrySet()) {
            peer.getValue().tell(message);
            ReplicationStats.Peer counters = stats.peer(peer.getKey());
            counters.sentBatches.incrementAndGet();
            counters.sentUpdates.addAndGet(deltas.size());
            counters.sentBytes.addAndGet(bytes);
        }
        stats.sentBatches.incrementAndGet();
        stats.sentUpdates.addAndGet(deltas.size());
        stats.sentBytes.addAndGet((long) bytes * peers.size());
    }

    private Behavior<Command> onPeerReady(PeerReady r) {
        if (r.registrarId() != membership.self() && ready.put(r.registrarId(), r.address()) == null) {
            refreshPeers();
        }
        return this;
    }

    private Behavior<Command> onMembersChanged(MembersChanged changed) {
        if (changed.event() instanceof ClusterEvent.MemberRemoved removed) {
            int id = Membership.registrarId(removed.member());
            ready.remove(id);
        }
        refreshPeers();
        return this;
    }

    private void refreshPeers() {
        Map<Integer, Address> wanted = new HashMap<>(ready);
        for (Membership.Registrar r : membership.upPeers()) {
            wanted.put(r.id(), r.address());
        }
        Set<Integer> known = new HashSet<>();
        for (Membership.Registrar r : membership.registrars()) {
            known.add(r.id());
        }
        wanted.keySet().retainAll(known);
        peers.keySet().retainAll(wanted.keySet());
        wanted.forEach((id, address) -> {
            ActorRef<EnrpMessage> ref = peers.get(id);
            if (ref == null || !ref.path().address().equals(address)) {
                peers.put(id, membership.actorAt(address, Inbox.NAME));
            }
        });
    }
}
