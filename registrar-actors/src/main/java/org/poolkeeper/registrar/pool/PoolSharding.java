package org.poolkeeper.registrar.pool;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.replication.Shards;

/**
 * The placement of the shard writers: Cluster Sharding of {@link ShardWriter}s, one entity per shard, whose
 * entity id is the shard number ({@link Shards#of} of the pool handle) and whose Pekko shard is that same
 * number. This is the one place that maps a pool to its writer's entity; it must be equal on every node.
 */
public final class PoolSharding implements Auditor.ShardWaker {
    private final ActorRef<ShardingEnvelope<ShardWriter.Command>> region;
    private final int numberOfShards;

    private PoolSharding(ActorRef<ShardingEnvelope<ShardWriter.Command>> region, int numberOfShards) {
        this.region = region;
        this.numberOfShards = numberOfShards;
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
     * Starts Cluster Sharding of the shard writers on this node; from now on the node hosts shards. Their writers
     * stop with {@link ShardWriter.Stop}.
     */
    public static PoolSharding init(ActorSystem<?> system, int numberOfShards, ShardWriter.Context context) {
        ActorRef<ShardingEnvelope<ShardWriter.Command>> region = ClusterSharding.get(system).init(
                Entity.of(ShardWriter.TYPE_KEY, ctx -> ShardWriter.create(shardOf(ctx.getEntityId(), numberOfShards),
                                context))
                        .withMessageExtractor(new Extractor())
                        .withStopMessage(ShardWriter.Stop.INSTANCE));
        return new PoolSharding(region, numberOfShards);
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

    /** Sends a command about pool {@code handle} to its shard's writer, wherever it runs. */
    public void tell(PoolHandle handle, ShardWriter.Command command) {
        region.tell(new ShardingEnvelope<>(entityId(Shards.of(handle, numberOfShards)), command));
    }

    /** Sends a command to the writer of {@code shard}. */
    public void tell(int shard, ShardWriter.Command command) {
        region.tell(new ShardingEnvelope<>(entityId(shard), command));
    }

    @Override
    public void wake(int shard, int registrarLeft, ActorRef<Auditor.WriterAwake> ack) {
        tell(shard, new ShardWriter.Wake(registrarLeft, ack));
    }

    /** The shard region (for tests and shutdown). */
    public ActorRef<ShardingEnvelope<ShardWriter.Command>> region() {
        return region;
    }
}
