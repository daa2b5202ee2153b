package org.poolkeeper.registrar.pool;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.ShardHomes;
import org.poolkeeper.replication.Shards;

/**
 * The placement of the shard writers: Cluster Sharding of {@link ShardWriter}s, one entity per shard, whose
 * entity id is the shard number ({@link Shards#of} of the pool handle) and whose Pekko shard is that same
 * number. This is the one place that maps a pool to its writer's entity; it must be equal on every node.
 *
 * <p>A command for a shard whose writer another registrar announced ({@link ShardHomes}) goes through the
 * {@link Relay}, batched with the other commands for that node; any other command (a shard written here, or whose
 * home is not known yet) goes to the shard region, which finds the writer. Writers reply to sessions on other
 * nodes through the relay too.
 */
public final class PoolSharding implements Auditor.ShardWaker {
    private final ActorRef<ShardingEnvelope<ShardWriter.Command>> region;
    private final ActorRef<Relay.Message> relay;
    private final int numberOfShards;
    private final ShardHomes homes;
    private final HostedShards hosted;

    private PoolSharding(ActorRef<ShardingEnvelope<ShardWriter.Command>> region, ActorRef<Relay.Message> relay,
                         int numberOfShards, ShardHomes homes, HostedShards hosted) {
        this.region = region;
        this.relay = relay;
        this.numberOfShards = numberOfShards;
        this.homes = homes;
        this.hosted = hosted;
    }

    /** Shard id = entity id = the shard number as decimal text. */
    static final class Extractor extends ShardingMessageExtractor<ShardingEnvelope<ShardWriter.Command>,
            ShardWriter.Command> {
        @Override
        public String entityId(ShardingEnvelope<ShardWriter.Command> envelope) {
            return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
            return entityId;
        }

        @Override
        public ShardWriter.Command unwrapMessage(ShardingEnvelope<ShardWriter.Command> envelope) {
            return envelope.message();
        }
    }

    /**
     * Starts Cluster Sharding of the shard writers on this node, and the node's {@link Relay}; from now on the node
     * hosts shards. Their writers stop with {@link ShardWriter.Stop}.
     */
    public static PoolSharding init(ActorSystem<?> system, int numberOfShards, ShardWriter.Context context,
                                    ShardHomes homes, Membership membership, BadInputLog badInput) {
        AtomicReference<ActorRef<Relay.Message>> relay = new AtomicReference<>();
        ShardWriter.Replies replies = (to, reply) -> {
            ActorRef<Relay.Message> r = relay.get();
            if (r == null || to.path().address().hasLocalScope()) {
                to.tell(reply);
            } else {
                r.tell(new Relay.Deliver(to, reply));
            }
        };
        ActorRef<ShardingEnvelope<ShardWriter.Command>> region = ClusterSharding.get(system).init(
                Entity.of(ShardWriter.TYPE_KEY, ctx -> ShardWriter.create(shardOf(ctx.getEntityId(), numberOfShards),
                                context, replies))
                        .withMessageExtractor(new Extractor())
                        .withStopMessage(ShardWriter.Stop.INSTANCE));
        // restarted after a failure (a bug): its buffers are soft, the sessions retry what they held
        relay.set(system.systemActorOf(Behaviors.supervise(Relay.create(region, numberOfShards, membership, badInput))
                .onFailure(SupervisorStrategy.restart()), Relay.NAME, Props.empty()));
        return new PoolSharding(region, relay.get(), numberOfShards, homes, context.hosted());
    }

    /** The entity id of a shard's writer. */
    static String entityId(int shard) {
        return Integer.toString(shard);
    }

    /** The shard an entity id names. @throws IllegalArgumentException for an id that names none */
    static int shardOf(String entityId, int numberOfShards) {
        int shard;
        try {
            shard = Integer.parseInt(entityId);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a shard writer's entity id: " + entityId);
        }
        if (shard < 0 || shard >= numberOfShards) {
            throw new IllegalArgumentException("shard " + shard + " outside 0.." + (numberOfShards - 1));
        }
        return shard;
    }

    /**
     * Wakes the writer of every shard through the region, so that the shards no node hosts yet are allocated now
     * rather than by the first registrations into them. Each allocation is a write of the coordinator's state to a
     * majority of the nodes, one at a time; on a node forming a cluster that write is local and all shards are
     * placed in well under a second, where the first load into a fresh three-node cluster waited seconds for them
     * (the first 5 s of 10,000 new pools answered 150/s). A shard already running ignores the wake.
     *
     * <p>Completes when every writer has acknowledged its wake, or after {@code within} with the shards whose writer
     * did not. A node that shuts down while its region still buffers messages for shards without a home waits for
     * them until the shutdown phase times out (10 s) when no other node can take them, so a started node has its
     * shards placed.
     *
     * @return the shards without an acknowledged writer after {@code within} (empty: all placed)
     */
    public CompletionStage<Set<Integer>> allocateAll(Scheduler scheduler, Duration within) {
        Set<Integer> missing = ConcurrentHashMap.newKeySet();
        CompletableFuture<?>[] acks = new CompletableFuture<?>[numberOfShards];
        for (int shard = 0; shard < numberOfShards; shard++) {
            String entityId = entityId(shard);
            int s = shard;
            acks[shard] = AskPattern.<ShardingEnvelope<ShardWriter.Command>, Auditor.WriterAwake>ask(region,
                            ack -> new ShardingEnvelope<>(entityId, new ShardWriter.Wake(0, ack)), within, scheduler)
                    .toCompletableFuture()
                    .exceptionally(timeout -> {
                        missing.add(s);
                        return null;
                    });
        }
        return CompletableFuture.allOf(acks).thenApply(done -> Set.copyOf(missing));
    }

    /** Sends a command about pool {@code handle} to its shard's writer, wherever it runs. */
    public void tell(PoolHandle handle, ShardWriter.Command command) {
        tell(Shards.of(handle, numberOfShards), command);
    }

    /** Sends a command to the writer of {@code shard}. */
    public void tell(int shard, ShardWriter.Command command) {
        Address home = relayTo(shard);
        if (home != null) {
            relay.tell(new Relay.Forward(home, shard, command));
        } else {
            region.tell(new ShardingEnvelope<>(entityId(shard), command));
        }
    }

    /** The node whose relay takes commands for {@code shard}, or null: the region delivers them. */
    private Address relayTo(int shard) {
        return hosted.contains(shard) ? null : homes.homeOf(shard);
    }

    /** Where a command about {@code handle} goes now (for diagnostics): "region" or "relay to ADDRESS". */
    public String routeOf(PoolHandle handle) {
        int shard = Shards.of(handle, numberOfShards);
        Address home = relayTo(shard);
        return home == null ? (hosted.contains(shard) ? "region (hosted here)" : "region") : "relay to " + home;
    }

    @Override
    public void wake(int shard, int registrarLeft, ActorRef<Auditor.WriterAwake> ack) {
        tell(shard, new ShardWriter.Wake(registrarLeft, ack));
    }

    /** How many shards have their writer on this node now. */
    public int hostedShards() {
        return hosted.size();
    }

    /** The shard region (for tests and shutdown). */
    public ActorRef<ShardingEnvelope<ShardWriter.Command>> region() {
        return region;
    }
}
