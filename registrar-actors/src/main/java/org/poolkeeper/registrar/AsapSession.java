package org.poolkeeper.registrar;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.Decoded;
import org.poolkeeper.protocol.WireCodec;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.Error;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.RegistrationResponse;
import org.poolkeeper.protocol.wire.ServerAnnounce;
import scala.runtime.BoxedUnit;

/**
 * One client connection's ASAP session, as a stream stage between the decoded frames a client sends and the
 * messages it receives. It is the node's front door: it validates requests, answers handle resolutions from
 * the node's {@link Replica} in place (replica mode: no actor hop, no future), sends registrations,
 * deregistrations and failure reports to the pools' {@link PoolActor}s and relays their replies (through the
 * stage actor, so the stage stays single-threaded), and keeps the PEs registered through it alive.
 *
 * <p><b>Keep-alives</b> are per connection: every {@code keep-alive-interval} the session sends one
 * EndpointKeepAlive for each PE registered through it that has none outstanding; a PE whose ack has not come
 * {@code keep-alive-timeout} after its keep-alive was sent is removed (and the session forgets it). One timer
 * per connection, not per PE.
 *
 * <p><b>Connection loss:</b> when the stream ends for any reason, every PE registered through the session is
 * removed after {@code connection-loss-grace} (at once for 0) — unless it has registered through another
 * session meanwhile: the PoolActor only honours a drop from the PE's current session.
 *
 * <p><b>Limits:</b> at most {@code max-in-flight-per-connection} requests wait for a PoolActor and at most as
 * many replies wait for the client to read them; beyond that the session stops reading (TCP back-pressure),
 * it never buffers without bound. A connection may hold at most {@code max-pes-per-connection} PEs; more get
 * {@code ERROR_CAUSE_LACK_OF_RESOURCES}.
 *
 * <p><b>Bad input:</b> an undecodable or unknown message gets an Error with its cause, a request with invalid
 * values a response with {@code ERROR_CAUSE_INVALID_VALUES}; both are logged rate-limited ({@link BadInputLog})
 * and the connection stays up. Framing errors fail the stream before this stage (the connection closes).
 */
final class AsapSession extends GraphStage<FlowShape<Decoded<AsapMessage>, AsapMessage>> {

    private final Inlet<Decoded<AsapMessage>> in = Inlet.create("AsapSession.in");
    private final Outlet<AsapMessage> out = Outlet.create("AsapSession.out");
    private final FlowShape<Decoded<AsapMessage>, AsapMessage> shape = FlowShape.of(in, out);

    private final ActorSystem<?> system;
    private final RegistrarNode node;
    private final ActorRef<ShardingEnvelope<PoolActor.Command>> region;
    private final InetSocketAddress remote;
    private final AsapMessage announce;

    AsapSession(ActorSystem<?> system, RegistrarNode node, ActorRef<ShardingEnvelope<PoolActor.Command>> region,
                InetSocketAddress remote, ServerAnnounce announce) {
        this.system = system;
        this.node = node;
        this.region = region;
        this.remote = remote;
        this.announce = AsapMessage.newBuilder().setServerAnnounce(announce).build();
    }

    @Override
    public FlowShape<Decoded<AsapMessage>, AsapMessage> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /** A PE registered through this session. */
    private record PeKey(PoolHandle handle, int peId) {
    }

    /** Keep-alive state of one PE: when its outstanding keep-alive was sent (System.nanoTime), 0 if none. */
    private static final class KeepAliveState {
        final ByteString wireHandle;
        long sentAtNanos;

        KeepAliveState(ByteString wireHandle) {
            this.wireHandle = wireHandle;
        }
    }

    private static final String KEEP_ALIVE_TICK = "keep-alive";
    private static final String KEEP_ALIVE_TIMEOUT = "keep-alive-timeout";

    private final class Logic extends TimerGraphStageLogic {
        private final RegistrarSettings settings = node.settings();
        private final Replica replica = node.replica();
        private final int maxInFlight = settings.maxInFlightPerConnection();
        private final ArrayDeque<AsapMessage> outbox = new ArrayDeque<>();
        private final Map<PeKey, KeepAliveState> pes = new HashMap<>();
        private final long keepAliveTimeoutNanos = settings.keepAliveTimeout().toNanos();
        private ActorRef<PoolActor.Reply> self;
        private int inFlight;
        private int pendingRegistrations;
        private long keepAliveRequestId;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    onRequest(grab(in));
                    flushAndPull();
                }

                @Override
                public void onUpstreamFinish() {
                    completeStage();
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                    node.badInput().log(remote, "connection closed: " + ex.getMessage());
                    failStage(ex);
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    flushAndPull();
                }
            });
        }

        @Override
        public void preStart() {
            self = Adapter.toTyped(getStageActor(pair -> {
                onReply((PoolActor.Reply) pair._2());
                return BoxedUnit.UNIT;
            }).ref());
            Duration interval = settings.keepAliveInterval();
            scheduleWithFixedDelay(KEEP_ALIVE_TICK, interval, interval);
            outbox.add(announce);
            pull(in);
        }

        @Override
        public void postStop() {
            // the connection is gone: its PEs go, after the grace (the PoolActor ignores the drop for a PE that
            // registered through another session meanwhile). A registration still on its way is not dropped:
            // its client may have given up on it and registered the PE again through a new connection, and if
            // the stale registration reached the PoolActor after the new one, a drop would remove the PE the
            // client holds. Such a PE stays until its life ends or its client re-registers it.
            if (pes.isEmpty()) {
                return;
            }
            Map<PeKey, KeepAliveState> lost = Map.copyOf(pes);
            pes.clear();
            Runnable drop = () -> lost.keySet().forEach(k -> drop(k, Delta.Reason.CONNECTION_LOST));
            Duration grace = settings.connectionLossGrace();
            if (grace.isZero()) {
                drop.run();
            } else {
                system.scheduler().scheduleOnce(grace, drop, system.executionContext());
            }
        }

        // -------------------------------------------------------------- flow control

        private void flushAndPull() {
            if (isAvailable(out) && !outbox.isEmpty()) {
                push(out, outbox.poll());
            }
            if (!hasBeenPulled(in) && !isClosed(in) && inFlight < maxInFlight && outbox.size() < maxInFlight) {
                pull(in);
            }
        }

        private void send(AsapMessage message) {
            outbox.add(message);
        }

        // -------------------------------------------------------------- requests

        private void onRequest(Decoded<AsapMessage> decoded) {
            if (decoded instanceof Decoded.Malformed<AsapMessage> malformed) {
                node.badInput().log(remote, malformed.reason());
                send(WireCodec.errorReply(malformed));
                return;
            }
            AsapMessage message = ((Decoded.Ok<AsapMessage>) decoded).message();
            switch (message.getBodyCase()) {
                case HANDLE_RESOLUTION -> onHandleResolution(message.getHandleResolution());
                case REGISTRATION -> onRegistration(message.getRegistration());
                case DEREGISTRATION -> onDeregistration(message.getDeregistration());
                case ENDPOINT_KEEP_ALIVE_ACK -> onKeepAliveAck(message.getEndpointKeepAliveAck());
                case ENDPOINT_UNREACHABLE -> onEndpointUnreachable(message.getEndpointUnreachable());
                case ERROR -> node.badInput().log(remote, "client reported an error: "
                        + message.getError().getCause() + " " + message.getError().getDetail());
                default -> {
                    // a response or registrar-only message from a client: not something a registrar accepts
                    node.badInput().log(remote, "unexpected " + message.getBodyCase() + " from a client");
                    send(error(0, ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE,
                            message.getBodyCase() + " is not a request a registrar accepts"));
                }
            }
        }

        /** The pool handle of a request, or null after answering the request as invalid. */
        private PoolHandle handle(ByteString wire, String what) {
            if (wire.isEmpty() || wire.size() > settings.handlespace().maxPoolHandleLength()) {
                node.badInput().log(remote, what + " with a pool handle of " + wire.size() + " bytes");
                return null;
            }
            return PoolHandle.of(wire.toByteArray());
        }

        private void onHandleResolution(HandleResolution r) {
            PoolHandle h = handle(r.getPoolHandle(), "handle resolution");
            if (h == null) {
                send(AsapMessage.newBuilder().setHandleResolutionResponse(HandleResolutionResponse.newBuilder()
                        .setRequestId(r.getRequestId()).setPoolHandle(r.getPoolHandle())
                        .setCause(ErrorCause.ERROR_CAUSE_INVALID_VALUES)).build());
                return;
            }
            int maxItems = r.hasMaxItems()
                    ? (int) Math.min(Integer.toUnsignedLong(r.getMaxItems()), Integer.MAX_VALUE) : 0;
            if (settings.resolutionMode() == RegistrarSettings.ResolutionMode.REPLICA) {
                send(AsapMessage.newBuilder()
                        .setHandleResolutionResponse(replica.resolve(r.getRequestId(), r.getPoolHandle(), h, maxItems))
                        .build());
            } else {
                inFlight++;
                tell(h, new PoolActor.Resolve(maxItems, r.getRequestId(), self));
            }
        }

        private void onRegistration(Registration r) {
            PoolHandle h = handle(r.getPoolHandle(), "registration");
            if (h == null) {
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            PolicyInfo policy;
            AddressBlock addresses;
            try {
                policy = WireMapping.policy(r.getPolicy());
                addresses = WireMapping.addresses(r.getAddressesList());
            } catch (WireMapping.InvalidWireValueException e) {
                node.badInput().log(remote, "registration of " + h + ": " + e.getMessage());
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            long life = Integer.toUnsignedLong(r.getRegistrationLifeMs());
            if (r.getPeId() == 0 || life < settings.minRegistrationLifeMs()
                    || life > settings.handlespace().maxRegistrationLifeMs()) {
                node.badInput().log(remote, "registration of " + h + " with PE id "
                        + Integer.toUnsignedString(r.getPeId(), 16) + " and life " + life + " ms");
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            if (!pes.containsKey(new PeKey(h, r.getPeId()))
                    && pes.size() + pendingRegistrations >= settings.maxPesPerConnection()) {
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES));
                return;
            }
            inFlight++;
            pendingRegistrations++;
            tell(h, new PoolActor.Register(r.getPeId(), policy, addresses, (int) life, node.registrarId(),
                    r.getRequestId(), self));
        }

        private void onDeregistration(Deregistration d) {
            PoolHandle h = handle(d.getPoolHandle(), "deregistration");
            if (h == null) {
                send(AsapMessage.newBuilder().setDeregistrationResponse(DeregistrationResponse.newBuilder()
                        .setRequestId(d.getRequestId()).setPoolHandle(d.getPoolHandle()).setPeId(d.getPeId())
                        .setCause(ErrorCause.ERROR_CAUSE_INVALID_VALUES)).build());
                return;
            }
            inFlight++;
            tell(h, new PoolActor.Deregister(d.getPeId(), d.getRequestId(), self));
        }

        private void onEndpointUnreachable(EndpointUnreachable u) {
            PoolHandle h = handle(u.getPoolHandle(), "unreachability report");
            if (h == null) {
                send(error(u.getRequestId(), ErrorCause.ERROR_CAUSE_INVALID_VALUES, "bad pool handle"));
                return;
            }
            inFlight++;
            tell(h, new PoolActor.ReportUnreachable(u.getPeId(), u.getRequestId(), self));
        }

        private void onKeepAliveAck(EndpointKeepAliveAck ack) {
            if (ack.getPoolHandle().isEmpty() || ack.getPoolHandle().size()
                    > settings.handlespace().maxPoolHandleLength()) {
                return;
            }
            KeepAliveState state = pes.get(new PeKey(PoolHandle.of(ack.getPoolHandle().toByteArray()),
                    ack.getPeId()));
            if (state != null) {
                state.sentAtNanos = 0;
            }
        }

        private void tell(PoolHandle h, PoolActor.Command command) {
            region.tell(new ShardingEnvelope<>(PoolActor.entityId(h), command));
        }

        private void drop(PeKey key, Delta.Reason reason) {
            region.tell(new ShardingEnvelope<>(PoolActor.entityId(key.handle()),
                    new PoolActor.DropSessionElement(key.peId(), reason, node.registrarId(), self)));
        }

        // -------------------------------------------------------------- replies from PoolActors

        private void onReply(PoolActor.Reply reply) {
            if (reply instanceof PoolActor.Registered r) {
                inFlight--;
                pendingRegistrations--;
                if (r.status() == Status.ADDED || r.status() == Status.UPDATED) {
                    // a (re-)registration answers any keep-alive still outstanding: the PE is alive, and a client
                    // that ignored that keep-alive (its registration had timed out on its side) registered again
                    pes.computeIfAbsent(new PeKey(r.poolHandle(), r.peId()),
                            k -> new KeepAliveState(WireMapping.poolHandle(k.handle()))).sentAtNanos = 0;
                }
                send(registrationResponse(r.requestId(), WireMapping.poolHandle(r.poolHandle()), r.peId(),
                        WireMapping.cause(r.status())));
            } else if (reply instanceof PoolActor.Deregistered d) {
                inFlight--;
                send(AsapMessage.newBuilder().setDeregistrationResponse(DeregistrationResponse.newBuilder()
                        .setRequestId(d.requestId()).setPoolHandle(WireMapping.poolHandle(d.poolHandle()))
                        .setPeId(d.peId()).setCause(WireMapping.cause(d.status()))).build());
            } else if (reply instanceof PoolActor.Resolved r) {
                inFlight--;
                HandleResolutionResponse.Builder b = HandleResolutionResponse.newBuilder()
                        .setRequestId(r.requestId()).setPoolHandle(WireMapping.poolHandle(r.poolHandle()))
                        .setPolicyType(r.policyType()).addAllElements(r.elements());
                if (r.status() == Status.UNKNOWN_POOL_HANDLE) {
                    b.setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE);
                }
                send(AsapMessage.newBuilder().setHandleResolutionResponse(b).build());
            } else if (reply instanceof PoolActor.Reported r) {
                inFlight--;
                // an unreachability report has no response, except an Error when it could not be applied
                if (!r.status().isSuccess()) {
                    send(error(r.requestId(), WireMapping.cause(r.status()),
                            "unreachability report for " + r.poolHandle() + " PE "
                                    + Integer.toUnsignedString(r.peId(), 16) + ": " + r.status()));
                }
            } else if (reply instanceof PoolActor.Released r) {
                pes.remove(new PeKey(r.poolHandle(), r.peId()));
            }
            flushAndPull();
        }

        // -------------------------------------------------------------- keep-alives

        @Override
        public void onTimer(Object key) {
            if (KEEP_ALIVE_TICK.equals(key)) {
                sendKeepAlives();
            } else if (KEEP_ALIVE_TIMEOUT.equals(key)) {
                expireKeepAlives();
            }
            flushAndPull();
        }

        private void sendKeepAlives() {
            long now = System.nanoTime();
            boolean sent = false;
            for (Map.Entry<PeKey, KeepAliveState> entry : pes.entrySet()) {
                KeepAliveState state = entry.getValue();
                if (state.sentAtNanos == 0) {
                    state.sentAtNanos = now;
                    sent = true;
                    send(AsapMessage.newBuilder().setEndpointKeepAlive(EndpointKeepAlive.newBuilder()
                            .setRequestId(++keepAliveRequestId).setPoolHandle(state.wireHandle)
                            .setPeId(entry.getKey().peId()).setRegistrarId(node.registrarId())).build());
                }
            }
            if (sent && !isTimerActive(KEEP_ALIVE_TIMEOUT)) {
                scheduleOnce(KEEP_ALIVE_TIMEOUT, settings.keepAliveTimeout());
            }
        }

        private void expireKeepAlives() {
            long now = System.nanoTime();
            long oldestPending = Long.MAX_VALUE;
            for (Iterator<Map.Entry<PeKey, KeepAliveState>> it = pes.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<PeKey, KeepAliveState> entry = it.next();
                long sentAt = entry.getValue().sentAtNanos;
                if (sentAt == 0) {
                    continue;
                }
                if (now - sentAt >= keepAliveTimeoutNanos) {
                    it.remove();
                    drop(entry.getKey(), Delta.Reason.KEEP_ALIVE_LOST);
                } else {
                    oldestPending = Math.min(oldestPending, sentAt);
                }
            }
            if (oldestPending != Long.MAX_VALUE) {
                scheduleOnce(KEEP_ALIVE_TIMEOUT, Duration.ofNanos(oldestPending + keepAliveTimeoutNanos - now));
            }
        }
    }

    // ------------------------------------------------------------------ message builders

    private static AsapMessage registrationResponse(long requestId, ByteString handle, int peId, ErrorCause cause) {
        return AsapMessage.newBuilder().setRegistrationResponse(RegistrationResponse.newBuilder()
                .setRequestId(requestId).setPoolHandle(handle).setPeId(peId).setCause(cause)).build();
    }

    private static AsapMessage error(long requestId, ErrorCause cause, String detail) {
        return AsapMessage.newBuilder().setError(Error.newBuilder()
                .setRequestId(requestId).setCause(cause).setDetail(detail)).build();
    }
}
