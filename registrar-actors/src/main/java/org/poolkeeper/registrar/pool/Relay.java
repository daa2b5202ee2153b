package org.poolkeeper.registrar.pool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.replication.Shards;

/**
 * The cross-node write path, batched per destination node: a session's command for a shard whose writer runs on
 * another registrar ({@link org.poolkeeper.registrar.replication.ShardHomes}) and a writer's reply to a session
 * on another registrar each cost one Artery message when sent alone (envelope, serializer, stream stages, a wake
 * of the remote dispatcher), which is what limits registrations through a cluster. The relay of the sending node
 * collects them per destination and sends one {@link CommandBatch} or {@link ReplyBatch}; the relay there hands
 * each command to its node's shard region (which delivers it to the local writer, or forwards it if the shard
 * moved meanwhile) and each reply to its session.
 *
 * <p>Batching adds no wait: the first message for an empty buffer sends the relay a {@link Flush} behind the
 * messages already in its mailbox, so a batch holds what arrived while the relay was busy, one message when idle.
 * A batch is sent early at {@link #MAX_BATCH} messages or about {@link #MAX_BATCH_BYTES}. Order per destination
 * is kept; a batch lost with its node is retried by the sessions like any command (they are idempotent).
 */
public final class Relay extends AbstractBehavior<Relay.Message> {

    /** The relay sits at {@code /system/<NAME>} on every registrar. */
    public static final String NAME = "poolkeeper-relay";

    /** The most messages in one batch. */
    static final int MAX_BATCH = 256;
    /** About the most bytes in one batch (estimated; well under Artery's maximum frame size). */
    static final int MAX_BATCH_BYTES = 128 * 1024;

    public sealed interface Message permits Forward, Deliver, Flush, CommandBatch, ReplyBatch {
    }

    /** Local: send {@code command} for {@code shard} to the relay of the registrar at {@code to}. */
    public record Forward(Address to, int shard, ShardWriter.Command command) implements Message {
    }

    /** Local: send {@code reply} to the session {@code to} on another registrar. */
    public record Deliver(ActorRef<ShardWriter.Reply> to, ShardWriter.Reply reply) implements Message {
    }

    /** Local: send what is buffered. */
    enum Flush implements Message { INSTANCE }

    /** One command of a {@link CommandBatch}. */
    public record Routed(int shard, ShardWriter.Command command) {
    }

    /** Remote: commands for writers on the receiving node. */
    public record CommandBatch(List<Routed> commands) implements Message {
    }

    /** Remote: replies for sessions on the receiving node. */
    public record ReplyBatch(List<Deliver> replies) implements Message {
    }

    private static final class Buffer<T> {
        final List<T> items = new ArrayList<>();
        int bytes;
    }

    private final ActorRef<ShardingEnvelope<ShardWriter.Command>> region;
    private final int numberOfShards;
    private final Membership membership;
    private final BadInputLog badInput;
    private final Map<Address, Buffer<Routed>> commands = new HashMap<>();
    private final Map<Address, Buffer<Deliver>> replies = new HashMap<>();
    private final Map<Address, ActorRef<Message>> relays = new HashMap<>();
    private boolean flushQueued;

    private Relay(ActorContext<Message> ctx, ActorRef<ShardingEnvelope<ShardWriter.Command>> region,
                  int numberOfShards, Membership membership, BadInputLog badInput) {
        super(ctx);
        this.region = region;
        this.numberOfShards = numberOfShards;
        this.membership = membership;
        this.badInput = badInput;
    }

    static Behavior<Message> create(ActorRef<ShardingEnvelope<ShardWriter.Command>> region, int numberOfShards,
                                    Membership membership, BadInputLog badInput) {
        return Behaviors.setup(ctx -> new Relay(ctx, region, numberOfShards, membership, badInput));
    }

    @Override
    public Receive<Message> createReceive() {
        return newReceiveBuilder()
                .onMessage(Forward.class, this::onForward)
                .onMessage(Deliver.class, this::onDeliver)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(CommandBatch.class, this::onCommandBatch)
                .onMessage(ReplyBatch.class, this::onReplyBatch)
                .build();
    }

    private Behavior<Message> onForward(Forward f) {
        Buffer<Routed> buffer = commands.computeIfAbsent(f.to(), a -> new Buffer<>());
        buffer.items.add(new Routed(f.shard(), f.command()));
        buffer.bytes += estimate(f.command());
        if (buffer.items.size() >= MAX_BATCH || buffer.bytes >= MAX_BATCH_BYTES) {
            sendCommands(f.to(), buffer);
        } else {
            queueFlush();
        }
        return this;
    }

    private Behavior<Message> onDeliver(Deliver d) {
        Address to = d.to().path().address();
        Buffer<Deliver> buffer = replies.computeIfAbsent(to, a -> new Buffer<>());
        buffer.items.add(d);
        buffer.bytes += estimate(d.reply());
        if (buffer.items.size() >= MAX_BATCH || buffer.bytes >= MAX_BATCH_BYTES) {
            sendReplies(to, buffer);
        } else {
            queueFlush();
        }
        return this;
    }

    private void queueFlush() {
        if (!flushQueued) {
            flushQueued = true;
            getContext().getSelf().tell(Flush.INSTANCE);
        }
    }

    private Behavior<Message> onFlush() {
        flushQueued = false;
        commands.forEach((to, buffer) -> {
            if (!buffer.items.isEmpty()) {
                sendCommands(to, buffer);
            }
        });
        replies.forEach((to, buffer) -> {
            if (!buffer.items.isEmpty()) {
                sendReplies(to, buffer);
            }
        });
        commands.clear(); // no buffer kept per address seen once
        replies.clear();
        return this;
    }

    private void sendCommands(Address to, Buffer<Routed> buffer) {
        relayAt(to).tell(new CommandBatch(List.copyOf(buffer.items)));
        buffer.items.clear();
        buffer.bytes = 0;
    }

    private void sendReplies(Address to, Buffer<Deliver> buffer) {
        relayAt(to).tell(new ReplyBatch(List.copyOf(buffer.items)));
        buffer.items.clear();
        buffer.bytes = 0;
    }

    private ActorRef<Message> relayAt(Address address) {
        ActorRef<Message> relay = relays.get(address);
        if (relay == null) {
            if (relays.size() >= 1024) {
                relays.clear(); // addresses of nodes long gone
            }
            relay = membership.actorAt(address, NAME);
            relays.put(address, relay);
        }
        return relay;
    }

    private Behavior<Message> onCommandBatch(CommandBatch batch) {
        for (Routed r : batch.commands()) {
            if (r.shard() < 0 || r.shard() >= numberOfShards) {
                badInput.log("a peer registrar's relay", "shard " + r.shard() + " outside 0.." + (numberOfShards - 1));
                continue;
            }
            PoolHandle handle = handleOf(r.command());
            if (handle != null && Shards.of(handle, numberOfShards) != r.shard()) {
                badInput.log("a peer registrar's relay", "a command for pool " + handle + " routed to shard "
                        + r.shard());
                continue;
            }
            region.tell(new ShardingEnvelope<>(PoolSharding.entityId(r.shard()), r.command()));
        }
        return this;
    }

    private Behavior<Message> onReplyBatch(ReplyBatch batch) {
        for (Deliver d : batch.replies()) {
            d.to().tell(d.reply());
        }
        return this;
    }

    /** The pool a command is about, or null for a command about the whole shard. */
    private static PoolHandle handleOf(ShardWriter.Command command) {
        if (command instanceof ShardWriter.Register c) {
            return c.handle();
        } else if (command instanceof ShardWriter.Deregister c) {
            return c.handle();
        } else if (command instanceof ShardWriter.Resolve c) {
            return c.handle();
        } else if (command instanceof ShardWriter.ReportUnreachable c) {
            return c.handle();
        } else if (command instanceof ShardWriter.DropSessionElement c) {
            return c.handle();
        }
        return null;
    }

    /** A rough serialized size, to keep a batch well under the frame size. */
    private static int estimate(ShardWriter.Command command) {
        return command instanceof ShardWriter.Register r ? 96 + r.handle().length() + 24 * r.addresses().size()
                : 64;
    }

    private static int estimate(ShardWriter.Reply reply) {
        return reply instanceof ShardWriter.Resolved r ? 64 + 96 * r.elements().size() : 48;
    }
}
