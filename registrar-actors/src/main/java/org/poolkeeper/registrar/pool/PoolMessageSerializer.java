package org.poolkeeper.registrar.pool;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.wire.PoolCommand;
import org.poolkeeper.protocol.wire.PoolCommandBatch;
import org.poolkeeper.protocol.wire.PoolDeregister;
import org.poolkeeper.protocol.wire.PoolDeregistered;
import org.poolkeeper.protocol.wire.PoolDropSessionElement;
import org.poolkeeper.protocol.wire.PoolRegister;
import org.poolkeeper.protocol.wire.PoolRegistered;
import org.poolkeeper.protocol.wire.PoolReclaimed;
import org.poolkeeper.protocol.wire.PoolReleased;
import org.poolkeeper.protocol.wire.PoolReply;
import org.poolkeeper.protocol.wire.PoolReplyBatch;
import org.poolkeeper.protocol.wire.PoolReportUnreachable;
import org.poolkeeper.protocol.wire.PoolReported;
import org.poolkeeper.protocol.wire.PoolResolve;
import org.poolkeeper.protocol.wire.PoolResolved;
import org.poolkeeper.protocol.wire.PoolWake;
import org.poolkeeper.protocol.wire.RelayedCommand;
import org.poolkeeper.protocol.wire.RelayedReply;
import org.poolkeeper.protocol.wire.WriterAwake;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;

/**
 * Serializes the {@link ShardWriter} commands a session sends through the shard region, the replies, the
 * {@link Relay}'s batches of both, and the writers' {@link Auditor.WriterAwake} acknowledgements, as the protobuf
 * messages {@link PoolCommand}, {@link PoolReply}, {@link PoolCommandBatch}, {@link PoolReplyBatch} and
 * {@link WriterAwake} (protocol module, {@code pool.proto}), so that they may cross JVMs with Java serialization
 * off. A reply-to reference travels in the {@link ActorRefResolver} string format; the
 * references a node writes and resolves are cached (sessions are few and long-lived, and every command names
 * one). Bound in {@code poolkeeper-registrar-node.conf}. The writer's self-messages (expiry timer, stop) are local only and
 * refused. Decoding validates like every input from outside: a bad value fails the message, never the node.
 */
public final class PoolMessageSerializer extends SerializerWithStringManifest {
    private static final String COMMAND = "C";
    private static final String REPLY = "R";
    private static final String AWAKE = "A";
    private static final String COMMAND_BATCH = "B";
    private static final String REPLY_BATCH = "Q";
    /** Resolved reply-to references kept; the cache starts over beyond this. */
    private static final int MAX_CACHED_REFS = 4096;

    private final ExtendedActorSystem system;
    private volatile ActorRefResolver resolver;
    private final ConcurrentHashMap<String, ActorRef<?>> refs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ActorRef<?>, String> formats = new ConcurrentHashMap<>();

    public PoolMessageSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public int identifier() {
        return 0x504b5043; // "PKPC"
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof ShardWriter.Command) {
            return COMMAND;
        }
        if (o instanceof ShardWriter.Reply) {
            return REPLY;
        }
        if (o instanceof Auditor.WriterAwake) {
            return AWAKE;
        }
        if (o instanceof Relay.CommandBatch) {
            return COMMAND_BATCH;
        }
        if (o instanceof Relay.ReplyBatch) {
            return REPLY_BATCH;
        }
        throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }

    private ActorRefResolver resolver() {
        ActorRefResolver r = resolver;
        if (r == null) {
            r = ActorRefResolver.get(Adapter.toTyped(system));
            resolver = r;
        }
        return r;
    }

    @Override
    public byte[] toBinary(Object o) {
        if (o instanceof ShardWriter.Command c) {
            return command(c).toByteArray();
        }
        if (o instanceof ShardWriter.Reply r) {
            return reply(r).toByteArray();
        }
        if (o instanceof Auditor.WriterAwake a) {
            return WriterAwake.newBuilder().setShard(a.shard()).setWriter(a.writer()).build().toByteArray();
        }
        if (o instanceof Relay.CommandBatch b) {
            return commandBatch(b).toByteArray();
        }
        if (o instanceof Relay.ReplyBatch b) {
            return replyBatch(b).toByteArray();
        }
        throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case COMMAND -> command(PoolCommand.parseFrom(bytes));
                case REPLY -> reply(PoolReply.parseFrom(bytes));
                case AWAKE -> {
                    WriterAwake a = WriterAwake.parseFrom(bytes);
                    yield new Auditor.WriterAwake(a.getShard(), a.getWriter());
                }
                case COMMAND_BATCH -> commandBatch(PoolCommandBatch.parseFrom(bytes));
                case REPLY_BATCH -> replyBatch(PoolReplyBatch.parseFrom(bytes));
                default -> throw new NotSerializableException("unknown manifest " + manifest);
            };
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            NotSerializableException n = new NotSerializableException(e.toString());
            n.initCause(e);
            throw n;
        }
    }

    // ------------------------------------------------------------------ commands

    PoolCommand command(ShardWriter.Command command) {
        PoolCommand.Builder b = commandBody(command);
        ActorRef<?> replyTo = replyTo(command);
        if (replyTo != null) {
            b.setReplyTo(ref(replyTo));
        }
        return b.build();
    }

    /** Where a command's reply goes, or null for none. */
    private static ActorRef<?> replyTo(ShardWriter.Command command) {
        if (command instanceof ShardWriter.Register r) {
            return r.replyTo();
        } else if (command instanceof ShardWriter.Deregister d) {
            return d.replyTo();
        } else if (command instanceof ShardWriter.Resolve r) {
            return r.replyTo();
        } else if (command instanceof ShardWriter.ReportUnreachable r) {
            return r.replyTo();
        } else if (command instanceof ShardWriter.DropSessionElement d) {
            return d.session();
        } else if (command instanceof ShardWriter.Wake w) {
            return w.ack();
        }
        return null;
    }

    /** The command without its reply-to. */
    private static PoolCommand.Builder commandBody(ShardWriter.Command command) {
        PoolCommand.Builder b = PoolCommand.newBuilder();
        if (command instanceof ShardWriter.Register r) {
            b.setPoolHandle(WireMapping.poolHandle(r.handle())).setRequestId(r.requestId()).setPeId(r.peId())
                    .setRegister(PoolRegister.newBuilder().setPolicy(WireMapping.policy(r.policy()))
                            .addAllAddresses(WireMapping.addressList(r.addresses())).setLifeMs(r.lifeMs())
                            .setHomeRegistrarId(r.homeRegistrarId()).setOwnerHashHi(r.ownerHashHi())
                            .setOwnerHashLo(r.ownerHashLo()).setSessionHolds(r.sessionHolds()));
        } else if (command instanceof ShardWriter.Deregister d) {
            b.setPoolHandle(WireMapping.poolHandle(d.handle())).setRequestId(d.requestId()).setPeId(d.peId())
                    .setDeregister(PoolDeregister.newBuilder().setOwnerHashHi(d.ownerHashHi())
                            .setOwnerHashLo(d.ownerHashLo()).setSessionHolds(d.sessionHolds()));
        } else if (command instanceof ShardWriter.Resolve r) {
            b.setPoolHandle(WireMapping.poolHandle(r.handle())).setRequestId(r.requestId())
                    .setResolve(PoolResolve.newBuilder().setMaxItems(r.maxItems()));
        } else if (command instanceof ShardWriter.ReportUnreachable r) {
            b.setPoolHandle(WireMapping.poolHandle(r.handle())).setRequestId(r.requestId()).setPeId(r.peId())
                    .setReportUnreachable(PoolReportUnreachable.newBuilder().setReporter(r.reporter()));
        } else if (command instanceof ShardWriter.DropSessionElement d) {
            b.setPoolHandle(WireMapping.poolHandle(d.handle())).setPeId(d.peId())
                    .setDropSessionElement(PoolDropSessionElement.newBuilder().setReason(d.reason().name())
                            .setSessionRegistrarId(d.sessionRegistrarId()).setInFlight(d.inFlight())
                            .setStampUs(d.stamp()));
        } else if (command instanceof ShardWriter.Wake w) {
            b.setWake(PoolWake.newBuilder().setRegistrarLeft(w.registrarLeft()));
        } else {
            throw new IllegalArgumentException("local-only command " + command);
        }
        return b;
    }

    ShardWriter.Command command(PoolCommand c) {
        return command(c, c.getReplyTo().isEmpty() ? null : resolve(c.getReplyTo()));
    }

    private static ShardWriter.Command command(PoolCommand c, ActorRef<?> replyTo) {
        if (c.getBodyCase() == PoolCommand.BodyCase.WAKE) {
            return new ShardWriter.Wake(c.getWake().getRegistrarLeft(), cast(replyTo));
        }
        if (replyTo == null) {
            throw new IllegalArgumentException("no reply-to");
        }
        var handle = WireMapping.poolHandle(c.getPoolHandle());
        return switch (c.getBodyCase()) {
            case REGISTER -> new ShardWriter.Register(handle, c.getPeId(),
                    WireMapping.policy(c.getRegister().getPolicy()),
                    WireMapping.addresses(c.getRegister().getAddressesList()), c.getRegister().getLifeMs(),
                    c.getRegister().getHomeRegistrarId(), c.getRegister().getOwnerHashHi(),
                    c.getRegister().getOwnerHashLo(), c.getRequestId(), cast(replyTo),
                    c.getRegister().getSessionHolds());
            case DEREGISTER -> new ShardWriter.Deregister(handle, c.getPeId(), c.getDeregister().getOwnerHashHi(),
                    c.getDeregister().getOwnerHashLo(), c.getRequestId(), cast(replyTo),
                    c.getDeregister().getSessionHolds());
            case RESOLVE -> new ShardWriter.Resolve(handle, c.getResolve().getMaxItems(), c.getRequestId(),
                    cast(replyTo));
            case REPORT_UNREACHABLE -> new ShardWriter.ReportUnreachable(handle, c.getPeId(),
                    c.getReportUnreachable().getReporter(), c.getRequestId(), cast(replyTo));
            case DROP_SESSION_ELEMENT -> new ShardWriter.DropSessionElement(handle, c.getPeId(),
                    Delta.Reason.valueOf(c.getDropSessionElement().getReason()),
                    c.getDropSessionElement().getSessionRegistrarId(), cast(replyTo),
                    c.getDropSessionElement().getInFlight(), c.getDropSessionElement().getStampUs());
            default -> throw new IllegalArgumentException("pool command without a body");
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> ActorRef<T> cast(ActorRef<?> ref) {
        return (ActorRef<T>) ref;
    }

    // ------------------------------------------------------------------ relay batches

    /** Each distinct reference of a batch once, numbered from 1 in order of appearance. */
    private final class RefTable {
        final Map<ActorRef<?>, Integer> index = new HashMap<>();
        final List<String> texts = new ArrayList<>();

        int indexOf(ActorRef<?> ref) {
            if (ref == null) {
                return 0;
            }
            return index.computeIfAbsent(ref, r -> {
                texts.add(ref(r));
                return texts.size();
            });
        }
    }

    PoolCommandBatch commandBatch(Relay.CommandBatch batch) {
        RefTable refs = new RefTable();
        PoolCommandBatch.Builder b = PoolCommandBatch.newBuilder();
        for (Relay.Routed r : batch.commands()) {
            b.addCommands(RelayedCommand.newBuilder().setShard(r.shard())
                    .setReplyTo(refs.indexOf(replyTo(r.command()))).setCommand(commandBody(r.command())));
        }
        return b.addAllRefs(refs.texts).build();
    }

    Relay.CommandBatch commandBatch(PoolCommandBatch b) {
        List<ActorRef<?>> refs = resolveAll(b.getRefsList());
        List<Relay.Routed> commands = new ArrayList<>(b.getCommandsCount());
        for (RelayedCommand c : b.getCommandsList()) {
            commands.add(new Relay.Routed(c.getShard(), command(c.getCommand(), refAt(refs, c.getReplyTo()))));
        }
        return new Relay.CommandBatch(commands);
    }

    PoolReplyBatch replyBatch(Relay.ReplyBatch batch) {
        RefTable refs = new RefTable();
        PoolReplyBatch.Builder b = PoolReplyBatch.newBuilder();
        for (Relay.Deliver d : batch.replies()) {
            b.addReplies(RelayedReply.newBuilder().setTo(refs.indexOf(d.to())).setReply(reply(d.reply())));
        }
        return b.addAllRefs(refs.texts).build();
    }

    Relay.ReplyBatch replyBatch(PoolReplyBatch b) {
        List<ActorRef<?>> refs = resolveAll(b.getRefsList());
        List<Relay.Deliver> replies = new ArrayList<>(b.getRepliesCount());
        for (RelayedReply r : b.getRepliesList()) {
            ActorRef<ShardWriter.Reply> to = cast(refAt(refs, r.getTo()));
            if (to == null) {
                throw new IllegalArgumentException("relayed reply without a session");
            }
            replies.add(new Relay.Deliver(to, reply(r.getReply())));
        }
        return new Relay.ReplyBatch(replies);
    }

    private List<ActorRef<?>> resolveAll(List<String> texts) {
        List<ActorRef<?>> refs = new ArrayList<>(texts.size());
        for (String text : texts) {
            refs.add(resolve(text));
        }
        return refs;
    }

    private static ActorRef<?> refAt(List<ActorRef<?>> refs, int index) {
        if (index == 0) {
            return null;
        }
        if (index > refs.size()) {
            throw new IllegalArgumentException("reference " + index + " of " + refs.size());
        }
        return refs.get(index - 1);
    }

    // ------------------------------------------------------------------ replies

    PoolReply reply(ShardWriter.Reply reply) {
        PoolReply.Builder b = PoolReply.newBuilder();
        if (reply instanceof ShardWriter.Registered r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setStatus(r.status().name()).setRegistered(PoolRegistered.newBuilder().setStampUs(r.stamp()));
        } else if (reply instanceof ShardWriter.Deregistered d) {
            b.setRequestId(d.requestId()).setPoolHandle(WireMapping.poolHandle(d.poolHandle())).setPeId(d.peId())
                    .setStatus(d.status().name()).setDeregistered(PoolDeregistered.getDefaultInstance());
        } else if (reply instanceof ShardWriter.Resolved r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle()))
                    .setStatus(r.status().name()).setResolved(PoolResolved.newBuilder()
                            .setPolicyType(r.policyType()).addAllElements(r.elements()));
        } else if (reply instanceof ShardWriter.Reported r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setStatus(r.status().name()).setReported(PoolReported.getDefaultInstance());
        } else if (reply instanceof ShardWriter.Released r) {
            b.setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setReleased(PoolReleased.getDefaultInstance());
        } else if (reply instanceof ShardWriter.Reclaimed r) {
            b.setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setReclaimed(PoolReclaimed.newBuilder().setStampUs(r.stamp()));
        }
        return b.build();
    }

    ShardWriter.Reply reply(PoolReply r) {
        var handle = WireMapping.poolHandle(r.getPoolHandle());
        return switch (r.getBodyCase()) {
            case REGISTERED -> new ShardWriter.Registered(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()), r.getRegistered().getStampUs());
            case DEREGISTERED -> new ShardWriter.Deregistered(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()));
            case RESOLVED -> new ShardWriter.Resolved(r.getRequestId(), handle, r.getResolved().getPolicyType(),
                    r.getResolved().getElementsList(), Status.valueOf(r.getStatus()));
            case REPORTED -> new ShardWriter.Reported(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()));
            case RELEASED -> new ShardWriter.Released(handle, r.getPeId());
            case RECLAIMED -> new ShardWriter.Reclaimed(handle, r.getPeId(), r.getReclaimed().getStampUs());
            default -> throw new IllegalArgumentException("pool reply without a body");
        };
    }

    private String ref(ActorRef<?> ref) {
        String format = formats.get(ref);
        if (format == null) {
            format = resolver().toSerializationFormat(ref);
            if (formats.size() >= MAX_CACHED_REFS) {
                formats.clear();
            }
            formats.put(ref, format);
        }
        return format;
    }

    @SuppressWarnings("unchecked")
    private <T> ActorRef<T> resolve(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("no reply-to");
        }
        ActorRef<?> ref = refs.get(text);
        if (ref == null) {
            ref = resolver().resolveActorRef(text);
            if (refs.size() >= MAX_CACHED_REFS) {
                refs.clear();
            }
            refs.put(text, ref);
        }
        return (ActorRef<T>) ref;
    }
}
