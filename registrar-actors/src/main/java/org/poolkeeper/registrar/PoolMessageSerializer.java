package org.poolkeeper.registrar;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.wire.PoolCommand;
import org.poolkeeper.protocol.wire.PoolDeregister;
import org.poolkeeper.protocol.wire.PoolDeregistered;
import org.poolkeeper.protocol.wire.PoolDropSessionElement;
import org.poolkeeper.protocol.wire.PoolRegister;
import org.poolkeeper.protocol.wire.PoolRegistered;
import org.poolkeeper.protocol.wire.PoolReleased;
import org.poolkeeper.protocol.wire.PoolReply;
import org.poolkeeper.protocol.wire.PoolReportUnreachable;
import org.poolkeeper.protocol.wire.PoolReported;
import org.poolkeeper.protocol.wire.PoolResolve;
import org.poolkeeper.protocol.wire.PoolResolved;

/**
 * Serializes the {@link PoolActor} commands a session sends through the shard region, and the replies, as the
 * protobuf messages {@link PoolCommand} and {@link PoolReply} (protocol module, {@code pool.proto}), so that
 * they may cross JVMs with Java serialization off. A reply-to reference travels in the
 * {@link ActorRefResolver} string format. Bound in {@code poolkeeper-registrar-node.conf}. The actor's
 * self-messages (expiry timer, passivation stop) are local only and refused.
 */
public final class PoolMessageSerializer extends SerializerWithStringManifest {
    private static final String COMMAND = "C";
    private static final String REPLY = "R";

    private final ExtendedActorSystem system;
    private volatile ActorRefResolver resolver;

    public PoolMessageSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public int identifier() {
        return 0x504b5043; // "PKPC"
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof PoolActor.Command) {
            return COMMAND;
        }
        if (o instanceof PoolActor.Reply) {
            return REPLY;
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
        if (o instanceof PoolActor.Command c) {
            return command(c).toByteArray();
        }
        if (o instanceof PoolActor.Reply r) {
            return reply(r).toByteArray();
        }
        throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case COMMAND -> command(PoolCommand.parseFrom(bytes));
                case REPLY -> reply(PoolReply.parseFrom(bytes));
                default -> throw new NotSerializableException("unknown manifest " + manifest);
            };
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            NotSerializableException n = new NotSerializableException(e.toString());
            n.initCause(e);
            throw n;
        }
    }

    // ------------------------------------------------------------------ commands

    PoolCommand command(PoolActor.Command command) {
        PoolCommand.Builder b = PoolCommand.newBuilder();
        if (command instanceof PoolActor.Register r) {
            b.setReplyTo(ref(r.replyTo())).setRequestId(r.requestId()).setPeId(r.peId())
                    .setRegister(PoolRegister.newBuilder().setPolicy(WireMapping.policy(r.policy()))
                            .addAllAddresses(WireMapping.addressList(r.addresses())).setLifeMs(r.lifeMs())
                            .setHomeRegistrarId(r.homeRegistrarId()));
        } else if (command instanceof PoolActor.Deregister d) {
            b.setReplyTo(ref(d.replyTo())).setRequestId(d.requestId()).setPeId(d.peId())
                    .setDeregister(PoolDeregister.getDefaultInstance());
        } else if (command instanceof PoolActor.Resolve r) {
            b.setReplyTo(ref(r.replyTo())).setRequestId(r.requestId())
                    .setResolve(PoolResolve.newBuilder().setMaxItems(r.maxItems()));
        } else if (command instanceof PoolActor.ReportUnreachable r) {
            b.setReplyTo(ref(r.replyTo())).setRequestId(r.requestId()).setPeId(r.peId())
                    .setReportUnreachable(PoolReportUnreachable.getDefaultInstance());
        } else if (command instanceof PoolActor.DropSessionElement d) {
            b.setReplyTo(ref(d.session())).setPeId(d.peId())
                    .setDropSessionElement(PoolDropSessionElement.newBuilder().setReason(d.reason().name())
                            .setSessionRegistrarId(d.sessionRegistrarId()));
        } else if (command instanceof PoolActor.Orphaned o) {
            b.setOrphaned(org.poolkeeper.protocol.wire.PoolOrphaned.newBuilder()
                    .setHomeRegistrarId(o.homeRegistrarId()).setGraceMs(o.graceMs()));
        } else {
            throw new IllegalArgumentException("local-only command " + command);
        }
        return b.build();
    }

    PoolActor.Command command(PoolCommand c) {
        return switch (c.getBodyCase()) {
            case REGISTER -> new PoolActor.Register(c.getPeId(), WireMapping.policy(c.getRegister().getPolicy()),
                    WireMapping.addresses(c.getRegister().getAddressesList()), c.getRegister().getLifeMs(),
                    c.getRegister().getHomeRegistrarId(), c.getRequestId(), replyTo(c.getReplyTo()));
            case DEREGISTER -> new PoolActor.Deregister(c.getPeId(), c.getRequestId(), replyTo(c.getReplyTo()));
            case RESOLVE -> new PoolActor.Resolve(c.getResolve().getMaxItems(), c.getRequestId(),
                    replyTo(c.getReplyTo()));
            case REPORT_UNREACHABLE -> new PoolActor.ReportUnreachable(c.getPeId(), c.getRequestId(),
                    replyTo(c.getReplyTo()));
            case DROP_SESSION_ELEMENT -> new PoolActor.DropSessionElement(c.getPeId(),
                    Delta.Reason.valueOf(c.getDropSessionElement().getReason()),
                    c.getDropSessionElement().getSessionRegistrarId(), replyTo(c.getReplyTo()));
            case ORPHANED -> new PoolActor.Orphaned(c.getOrphaned().getHomeRegistrarId(),
                    c.getOrphaned().getGraceMs());
            default -> throw new IllegalArgumentException("pool command without a body");
        };
    }

    // ------------------------------------------------------------------ replies

    PoolReply reply(PoolActor.Reply reply) {
        PoolReply.Builder b = PoolReply.newBuilder();
        if (reply instanceof PoolActor.Registered r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setStatus(r.status().name()).setRegistered(PoolRegistered.getDefaultInstance());
        } else if (reply instanceof PoolActor.Deregistered d) {
            b.setRequestId(d.requestId()).setPoolHandle(WireMapping.poolHandle(d.poolHandle())).setPeId(d.peId())
                    .setStatus(d.status().name()).setDeregistered(PoolDeregistered.getDefaultInstance());
        } else if (reply instanceof PoolActor.Resolved r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle()))
                    .setStatus(r.status().name()).setResolved(PoolResolved.newBuilder()
                            .setPolicyType(r.policyType()).addAllElements(r.elements()));
        } else if (reply instanceof PoolActor.Reported r) {
            b.setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setStatus(r.status().name()).setReported(PoolReported.getDefaultInstance());
        } else if (reply instanceof PoolActor.Released r) {
            b.setPoolHandle(WireMapping.poolHandle(r.poolHandle())).setPeId(r.peId())
                    .setReleased(PoolReleased.getDefaultInstance());
        }
        return b.build();
    }

    PoolActor.Reply reply(PoolReply r) {
        var handle = WireMapping.poolHandle(r.getPoolHandle());
        return switch (r.getBodyCase()) {
            case REGISTERED -> new PoolActor.Registered(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()));
            case DEREGISTERED -> new PoolActor.Deregistered(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()));
            case RESOLVED -> new PoolActor.Resolved(r.getRequestId(), handle, r.getResolved().getPolicyType(),
                    r.getResolved().getElementsList(), Status.valueOf(r.getStatus()));
            case REPORTED -> new PoolActor.Reported(r.getRequestId(), handle, r.getPeId(),
                    Status.valueOf(r.getStatus()));
            case RELEASED -> new PoolActor.Released(handle, r.getPeId());
            default -> throw new IllegalArgumentException("pool reply without a body");
        };
    }

    private String ref(ActorRef<?> ref) {
        return resolver().toSerializationFormat(ref);
    }

    private ActorRef<PoolActor.Reply> replyTo(String text) {
        return resolver().resolveActorRef(text);
    }
}
