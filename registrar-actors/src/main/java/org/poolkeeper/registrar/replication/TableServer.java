package org.poolkeeper.registrar.replication;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import com.google.protobuf.ByteString;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.HandleTableRequest;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.PoolPart;
import org.poolkeeper.replication.TableExport;

/**
 * Serves this node's table to the peers that pull it ({@link Inbox}): one {@link TableExport} per request, a block
 * sent for each block the requester asks for by cursor (at most {@link Inbox#BLOCKS_IN_FLIGHT} at a time), each
 * built when asked, so a large table never floods the requester or the network. A request from a registrar also
 * tells the {@link Outbox} that it is ready for deltas. Requests from non-members, out of order or beyond a
 * bound of concurrent tables per requester are dropped (logged, rate-limited); exports nobody advances are
 * forgotten.
 */
public final class TableServer extends AbstractBehavior<TableServer.Command> {

    /** The table server sits at {@code /system/<NAME>} on every registrar. */
    public static final String NAME = "poolkeeper-replication-tables";

    /** Exports nobody advanced for this long are dropped (their requester is gone or gave up). */
    private static final long STALE_NANOS = 10_000_000_000L;

    /** The most tables one requester may pull at once. */
    private static final int MAX_EXPORTS_PER_REQUESTER = 64;

    /** What the table server accepts. */
    public sealed interface Command permits Received, Tick {
    }

    record Received(EnrpMessage message) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    private static final class Export {
        final int requester;
        final ActorRef<EnrpMessage> peer;
        final TableExport table;
        /** The cursor the next request carries: the number of blocks sent. */
        long nextCursor;
        long usedNanos = System.nanoTime();

        Export(int requester, ActorRef<EnrpMessage> peer, TableExport table) {
            this.requester = requester;
            this.peer = peer;
            this.table = table;
        }
    }

    private record ExportKey(String replyTo, long requestId) {
    }

    public static Behavior<Object> create(NodeReplica replica, Membership membership, int maxElementsPerBlock,
                                          int maxPoolHandleLength, ActorRef<Outbox.Command> outbox,
                                          ReplicationStats stats, BadInputLog badInput) {
        Behavior<Command> inner = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TableServer(ctx, timers,
                replica, membership, maxElementsPerBlock, maxPoolHandleLength, outbox, stats, badInput)));
        return Behaviors.transformMessages(Object.class, inner, pf -> pf
                .match(EnrpMessage.class, Received::new)
                .match(Command.class, c -> c));
    }

    private final NodeReplica replica;
    private final Membership membership;
    private final int maxElementsPerBlock;
    private final int maxPoolHandleLength;
    private final ActorRef<Outbox.Command> outbox;
    private final ReplicationStats stats;
    private final BadInputLog badInput;
    private final ActorRefResolver resolver;
    private final Map<ExportKey, Export> exports = new LinkedHashMap<>();

    private TableServer(ActorContext<Command> ctx, TimerScheduler<Command> timers, NodeReplica replica,
                        Membership membership, int maxElementsPerBlock, int maxPoolHandleLength,
                        ActorRef<Outbox.Command> outbox, ReplicationStats stats, BadInputLog badInput) {
        super(ctx);
        this.replica = replica;
        this.membership = membership;
        this.maxElementsPerBlock = maxElementsPerBlock;
        this.maxPoolHandleLength = maxPoolHandleLength;
        this.outbox = outbox;
        this.stats = stats;
        this.badInput = badInput;
        this.resolver = ActorRefResolver.get(ctx.getSystem());
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Received.class, this::onReceived)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .build();
    }

    private Behavior<Command> onReceived(Received received) {
        if (received.message().getBodyCase() != EnrpMessage.BodyCase.HANDLE_TABLE_REQUEST) {
            bad(0, "unexpected " + received.message().getBodyCase() + " at the table server");
            return this;
        }
        onRequest(received.message().getHandleTableRequest());
        return this;
    }

    private void onRequest(HandleTableRequest request) {
        int requester = request.getSenderRegistrarId();
        Address address = membership.addressOf(requester);
        if (address == null || requester == membership.self()) {
            bad(requester, "table request from a registrar that is not a peer");
            return;
        }
        ExportKey key = new ExportKey(request.getReplyTo(), request.getRequestId());
        Export export;
        if (request.getCursor() == 0) {
            if (exports.containsKey(key)) {
                return; // a repeated first request: the blocks are on their way
            }
            if (exports.values().stream().filter(e -> e.requester == requester).count()
                    >= MAX_EXPORTS_PER_REQUESTER) {
                bad(requester, "more than " + MAX_EXPORTS_PER_REQUESTER + " table requests at once");
                return;
            }
            ActorRef<EnrpMessage> peer;
            try {
                peer = resolver.resolveActorRef(request.getReplyTo());
            } catch (RuntimeException e) {
                bad(requester, "table request with an unusable reply-to");
                return;
            }
            if (!address.equals(peer.path().address())) {
                bad(requester, "table request whose reply-to is on another node");
                return;
            }
            Set<PoolHandle> handles = new HashSet<>();
            for (ByteString h : request.getPoolHandlesList()) {
                if (h.isEmpty() || h.size() > maxPoolHandleLength) {
                    bad(requester, "table request for a pool handle of " + h.size() + " bytes");
                    return;
                }
                handles.add(WireMapping.poolHandle(h));
            }
            int max = request.getMaxElementsPerBlock() == 0 ? maxElementsPerBlock
                    : Math.max(2, Math.min(request.getMaxElementsPerBlock(), maxElementsPerBlock));
            export = new Export(requester, peer, new TableExport(membership.self(),
                    new HashSet<>(request.getShardIdsList()), handles, replica.numberOfShards(), max));
            exports.put(key, export);
            outbox.tell(new Outbox.PeerReady(requester, address));
        } else {
            export = exports.get(key);
            if (export == null || export.nextCursor != request.getCursor()) {
                return; // unknown or out of order (an old request): the requester's pull goes stale and retries
            }
        }
        int count = Math.max(1, Math.min(Inbox.BLOCKS_IN_FLIGHT, request.getBlocks()));
        boolean more = true;
        for (int i = 0; i < count && more; i++) {
            List<PoolPart> block = export.table.nextBlock(replica);
            more = export.table.hasMore();
            export.nextCursor++;
            HandleTableResponse.Builder response = HandleTableResponse.newBuilder()
                    .setRequestId(request.getRequestId()).setMoreToSend(more).setNextCursor(export.nextCursor)
                    .setSenderRegistrarId(membership.self());
            for (PoolPart part : block) {
                response.addPools(WireMapping.poolEntries(part));
            }
            export.peer.tell(EnrpMessage.newBuilder().setHandleTableResponse(response).build());
        }
        export.usedNanos = System.nanoTime();
        if (!more) {
            exports.remove(key);
        }
    }

    private Behavior<Command> onTick() {
        long stale = System.nanoTime() - STALE_NANOS;
        exports.values().removeIf(export -> export.usedNanos < stale);
        return this;
    }

    private void bad(int sender, String what) {
        stats.badMessages.incrementAndGet();
        badInput.log("registrar " + Inbox.hex(sender), what);
    }
}
