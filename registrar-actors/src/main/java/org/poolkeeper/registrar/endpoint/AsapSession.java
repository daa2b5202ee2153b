package org.poolkeeper.registrar.endpoint;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
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
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.Decoded;
import org.poolkeeper.protocol.WireCodec;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Authenticate;
import org.poolkeeper.protocol.wire.AuthenticateResponse;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
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
import org.poolkeeper.protocol.wire.StatusRequest;
import org.poolkeeper.registrar.node.Authorization;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.MicrosClock;
import org.poolkeeper.registrar.node.RegistrarMetrics;
import org.poolkeeper.registrar.node.RegistrarSettings;
import org.poolkeeper.registrar.pool.PoolSharding;
import org.poolkeeper.registrar.pool.ShardWriter;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;
import scala.runtime.BoxedUnit;

/**
 * One client connection's ASAP session, as a stream stage between the decoded frames a client sends and the
 * messages it receives. It is the node's front door: it validates requests, answers handle resolutions from
 * the node's {@link NodeReplica} in place (replica mode: no actor hop, no future), sends registrations,
 * deregistrations and failure reports to the writers of the pools' shards ({@link ShardWriter}) and relays their
 * replies (through the stage actor, so the stage stays single-threaded), and keeps the PEs registered through it
 * alive.
 *
 * <p><b>Keep-alives</b> are per connection: every {@code keep-alive-interval} the session sends one
 * EndpointKeepAlive for each PE registered through it that has none outstanding; a PE whose ack has not come
 * {@code keep-alive-timeout} after its keep-alive was sent is removed (and the session forgets it). Only time in
 * which the session read everything the client sent counts: while the session holds the client's input back
 * (its limits below), an ack may wait unread behind the client's own requests. One timer per connection, not per
 * PE.
 *
 * <p><b>Connection loss:</b> when the stream ends for any reason, every PE registered through the session is
 * removed after {@code connection-loss-grace} (at once for 0) — unless it has registered through another
 * session meanwhile: the shard writer only honours a drop from the PE's current session.
 *
 * <p><b>Requests to shard writers</b> carry the session's own id, so that an answer is matched to its request
 * exactly once: a command unanswered for {@code request-retry-interval} is sent again, with back-off (its writer
 * may have died or handed its shard off, losing it; a takeover then answers it), and a request unanswered for
 * {@code request-timeout} is answered with {@code ERROR_CAUSE_LACK_OF_RESOURCES}. A re-registration of a PE the
 * node's replica lists as it is registered, unanswered for {@code local-ack-after}, is answered by the session
 * itself (the PE is listed; while its writer is being taken over a client must not see its re-registration fail)
 * and kept being sent until its writer applies it. While a client waits and has heard nothing for a while, the
 * session repeats its ServerAnnounce, so that the client does not fail over from a live registrar.
 *
 * <p><b>Limits:</b> at most {@code max-in-flight-per-connection} requests wait for a shard writer; a request
 * unanswered for a retry interval leaves its slot (its writer is gone or stuck; the requests behind it, mostly
 * for other writers, go on). Beyond the slots the session reads on, queuing up to {@code max-queued-per-connection}
 * requests (queued and slow ones together), so that keep-alive acks and resolutions behind a burst of writes are
 * still read and answered. Beyond that, or with as many replies waiting for the client to read them, the session
 * stops reading (TCP back-pressure): it never buffers without bound. A connection may hold at most
 * {@code max-pes-per-connection} PEs; more get {@code ERROR_CAUSE_LACK_OF_RESOURCES}.
 *
 * <p><b>Serving gate:</b> once the node must not answer clients ({@link ServingGate}: downed, shutting down,
 * just resumed from a pause) the session reads no further request and closes, without removing its PEs.
 *
 * <p><b>Bad input:</b> an undecodable or unknown message gets an Error with its cause, a request with invalid
 * values a response with {@code ERROR_CAUSE_INVALID_VALUES}; both are logged rate-limited ({@link BadInputLog})
 * and the connection stays up. Framing errors fail the stream before this stage (the connection closes).
 */
final class AsapSession extends GraphStage<FlowShape<Decoded<AsapMessage>, AsapMessage>> {

    private final Inlet<Decoded<AsapMessage>> in = Inlet.create("AsapSession.in");
    private final Outlet<AsapMessage> out = Outlet.create("AsapSession.out");
    private final FlowShape<Decoded<AsapMessage>, AsapMessage> shape = FlowShape.of(in, out);

    private final AsapEndpoint.Context node;
    private final ActorSystem<?> system;
    private final PoolSharding sharding;
    private final InetSocketAddress remote;
    private final AsapMessage announce;
    /** The subject of the connection's TLS client certificate once its handshake is done (null: none). */
    private final Supplier<String> tlsSubject;

    AsapSession(AsapEndpoint.Context context, InetSocketAddress remote, ServerAnnounce announce,
                Supplier<String> tlsSubject) {
        this.node = context;
        this.system = context.system();
        this.sharding = context.sharding();
        this.remote = remote;
        this.announce = AsapMessage.newBuilder().setServerAnnounce(announce).build();
        this.tlsSubject = tlsSubject;
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
        @Override
        public int hashCode() {
            // ids a client numbers densely (counter << 16 | n) spread over the table's buckets
            return handle.hashCode() * 0x9E3779B9 ^ Integer.rotateLeft(peId * 0x85EBCA6B, 13);
        }
    }

    /** Numbers the node's sessions: with the registrar id, a session's identity as a reporter. */
    private static final java.util.concurrent.atomic.AtomicInteger SESSIONS = new java.util.concurrent.atomic.AtomicInteger();

    /** Most timed-out registrations a session remembers to drop when it closes. */
    private static final int MAX_TIMED_OUT = 1024;

    /** The most dump blocks and status requests one connection may ask for per second. */
    static final int MAX_OPERATOR_REQUESTS = 1000;

    /** Shortest and longest owner secret a client may send. */
    static final int MIN_OWNER_SECRET = 16;
    static final int MAX_OWNER_SECRET = 64;

    /**
     * The owner hash of a secret: the first 128 bits of its SHA-256, as two longs; 0 and 0 for no secret. What the
     * registrars keep and replicate, so that the secret itself is never stored or sent between them.
     */
    static long[] ownerHash(ByteString secret, MessageDigest sha256) {
        if (secret.isEmpty()) {
            return NO_OWNER;
        }
        sha256.reset();
        secret.asReadOnlyByteBufferList().forEach(sha256::update);
        ByteBuffer b = ByteBuffer.wrap(sha256.digest());
        long hi = b.getLong();
        long lo = b.getLong();
        return new long[] {hi, (hi | lo) == 0 ? 1 : lo}; // never "none" for a secret
    }

    private static final long[] NO_OWNER = new long[2];

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static boolean validSecret(ByteString secret) {
        return secret.isEmpty() || secret.size() >= MIN_OWNER_SECRET && secret.size() <= MAX_OWNER_SECRET;
    }

    /** A per-second counter of one kind of request, for max-hr-rate and max-eu-rate. */
    private static final class Rate {
        private final int perSecond;
        private long windowStart = System.nanoTime();
        private int count;
        long refused;

        Rate(int perSecond) {
            this.perSecond = perSecond;
        }

        boolean admits() {
            if (perSecond == 0) {
                return true;
            }
            long now = System.nanoTime();
            if (now - windowStart >= 1_000_000_000L) {
                windowStart = now;
                count = 0;
            }
            if (count < perSecond) {
                count++;
                return true;
            }
            refused++;
            return false;
        }
    }

    /** Keep-alive state of one PE: when its outstanding keep-alive was sent (System.nanoTime), 0 if none. */
    private static final class KeepAliveState {
        final ByteString wireHandle;
        long sentAtNanos;
        /** The PE's registration stamp in its writer's last answer to this session (0: not yet known). */
        long stamp;

        KeepAliveState(ByteString wireHandle) {
            this.wireHandle = wireHandle;
        }
    }

    private static final String KEEP_ALIVE_TICK = "keep-alive";
    private static final String KEEP_ALIVE_TIMEOUT = "keep-alive-timeout";
    private static final String REQUEST_RETRY = "request-retry";

    /** What a request waiting for a shard writer is, for its answer if the writer never gives one. */
    private enum Kind { REGISTRATION, DEREGISTRATION, RESOLUTION, REPORT }

    /**
     * A request sent to a shard writer and not answered yet: the command (sent again while unanswered: a writer
     * that died or moved loses it), the client's request id, and when it was first and last sent.
     */
    private static final class Pending {
        final long id;
        final Kind kind;
        final long clientRequestId;
        final ByteString wireHandle;
        final int peId;
        final PoolHandle handle;
        final ShardWriter.Command command;
        final long firstNanos;
        long sentNanos;
        int attempts = 1;
        /** A re-registration this session answered itself ({@code local-ack-after}); still sent until applied. */
        boolean answered;
        /** Unanswered for a retry interval: its writer is gone or busy; it no longer holds an in-flight slot. */
        boolean slow;
        /** When it was first sent to a writer (System.nanoTime). */
        long dispatchedNanos;

        Pending(long id, Kind kind, long clientRequestId, ByteString wireHandle, int peId, PoolHandle handle,
                ShardWriter.Command command, long now) {
            this.id = id;
            this.kind = kind;
            this.clientRequestId = clientRequestId;
            this.wireHandle = wireHandle;
            this.peId = peId;
            this.handle = handle;
            this.command = command;
            this.firstNanos = now;
            this.sentNanos = now;
        }
    }

    private final class Logic extends TimerGraphStageLogic {
        private final RegistrarSettings settings = node.settings();
        private final NodeReplica replica = node.replica();
        private final int maxInFlight = settings.maxInFlightPerConnection();
        private final ArrayDeque<AsapMessage> outbox = new ArrayDeque<>();
        private final Map<PeKey, KeepAliveState> pes = new HashMap<>();
        /**
         * PEs another session took from this one lately (System.nanoTime of the Released), kept for the writer's
         * reclaim window: the writer may give such a PE back to this session, and if this session has closed by
         * then, nobody would be left to keep or drop it. So a closing session drops these too, as in flight
         * (removed only if this session got the PE back; otherwise it just tells the writer this session closed).
         * In the order released (a PE released again moves to the end), so the expired ones are always at the head:
         * expiring them costs O(1) per release, not a scan of the whole map (which, at up to max-pes-per-connection
         * entries, made every deregistration of a churning client O(n) and capped new registrations at ~5,000/s).
         */
        private final java.util.LinkedHashMap<PeKey, Long> released = new java.util.LinkedHashMap<>();
        private final long reclaimWindowNanos = ShardWriter.reclaimWindow(settings.connectionLossGrace()).toNanos();
        private final long keepAliveTimeoutNanos = settings.keepAliveTimeout().toNanos();
        private ActorRef<ShardWriter.Reply> self;
        /** The requests waiting for a shard writer, by the session's own id for them (not the client's). */
        private final Map<Long, Pending> pending = new HashMap<>();
        /** Requests read while {@code maxInFlight} wait for writers, oldest first; sent as slots free. */
        private final ArrayDeque<Pending> queued = new ArrayDeque<>();
        private final int maxQueued = settings.maxQueuedPerConnection();
        /** The re-registrations answered by this session and not yet applied by their writer, by PE. */
        private final Map<PeKey, Pending> answeredByPe = new HashMap<>();
        private final long localAckNanos = settings.localAckAfter().toNanos();
        private long localAcks;
        /** When the session last handed a message to the connection (System.nanoTime). */
        private long lastSentNanos = System.nanoTime();
        private long nextInternalId;
        private final long retryNanos = settings.requestRetryInterval().toNanos();
        private final long requestTimeoutNanos = settings.requestTimeout().toNanos();
        /** Requests sent to writers and answered by none yet, but for the slow ones. */
        private int inFlight;
        /** Requests sent to writers that did not answer within a retry interval. */
        private int slowCount;
        private int pendingRegistrations;
        /** Whether the session holds back the client's input (its limits are reached). */
        private boolean heldBack;
        /** Since when the session has read without holding back (System.nanoTime). */
        private long readingSinceNanos = System.nanoTime();
        private long keepAliveRequestId;
        /** This connection as a reporter of unreachable PEs: the registrar id, then a number unique here. */
        private final long reporterId = (Integer.toUnsignedLong(node.registrarId()) << 32)
                | Integer.toUnsignedLong(SESSIONS.incrementAndGet());
        private final Rate resolutionRate = new Rate(settings.limits().maxHrRate());
        private final Rate operatorRate = new Rate(MAX_OPERATOR_REQUESTS);
        private final RegistrarMetrics metrics = node.metrics();
        /** What the answers sent now answer, and since when (System.nanoTime): for the request meters. */
        private RegistrarMetrics.Request answering;
        private long answeringSince;
        /** Whether a registration answered now re-registered a PE (the writer said so). */
        private boolean reregistration;
        private final Rate reportRate = new Rate(settings.limits().maxEuRate());
        private final MessageDigest sha256 = sha256();
        /** What this connection may do; decided at its first request (the TLS handshake is over by then). */
        private Authorization.Grant grant;
        /** Tokens refused on this connection; after {@link #MAX_REFUSED_TOKENS} no token is checked any more. */
        private int refusedTokens;
        /**
         * Registrations answered with a timeout whose copies may still reach a writer (one being taken over): on
         * close they are dropped like those in flight. The latest {@link #MAX_TIMED_OUT} only.
         */
        private final java.util.LinkedHashSet<PeKey> timedOut = new java.util.LinkedHashSet<>();

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    if (!node.gate().serving()) {
                        completeStage(); // a request read after a pause, or while downed: no answer from a stale view
                        return;
                    }
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
                onReply((ShardWriter.Reply) pair._2());
                return BoxedUnit.UNIT;
            }).ref());
            Duration interval = settings.keepAliveInterval();
            scheduleWithFixedDelay(KEEP_ALIVE_TICK, interval, interval);
            outbox.add(announce);
            pull(in);
        }

        @Override
        public void postStop() {
            if (!pending.isEmpty() || !queued.isEmpty()) {
                long oldest = pending.values().stream().filter(p -> !p.answered).mapToLong(p -> p.firstNanos).min()
                        .orElse(System.nanoTime());
                node.badInput().log(remote, "connection ended with " + (inFlight + slowCount) + " requests waiting"
                        + " for writers (" + slowCount + " slow, oldest " + (System.nanoTime() - oldest) / 1_000_000
                        + " ms), " + queued.size() + " queued, " + answeredByPe.size()
                        + " answered here and not yet applied, " + localAcks
                        + " answered here in all" + (heldBack ? ", input held back" : ""));
            }
            // the connection is gone: its PEs go, after the grace (the shard writer ignores the drop for a PE that
            // registered through another session meanwhile). A registration still on its way is dropped too,
            // marked as in flight: its writer applies no later registration of this session, removes the PE if
            // this session got it, and gives it back if this session took it from another one that still holds
            // it (the client gave up here and registered the PE again through a new connection, whose
            // registration overtook this one).
            Set<PeKey> inFlight = new HashSet<>();
            for (PeKey key : timedOut) {
                if (!pes.containsKey(key)) {
                    inFlight.add(key);
                }
            }
            for (Pending p : pending.values()) {
                PeKey key = new PeKey(p.handle, p.peId);
                if (p.kind == Kind.REGISTRATION && !pes.containsKey(key)) {
                    inFlight.add(key);
                }
            }
            long now = System.nanoTime();
            released.forEach((key, at) -> {
                if (now - at <= reclaimWindowNanos && !pes.containsKey(key)) {
                    inFlight.add(key); // taken from this session lately: its writer may give it back (see released)
                }
            });
            if (pes.isEmpty() && inFlight.isEmpty()) {
                return;
            }
            if (!node.gate().serving()) {
                // the node stopped serving (downed, shutting down, paused): its PEs are alive and re-register at
                // another registrar; a drop now could reach their writer after that and remove them
                return;
            }
            Map<PeKey, KeepAliveState> lost = Map.copyOf(pes);
            pes.clear();
            Runnable drop = () -> {
                lost.forEach((k, state) -> drop(k, Delta.Reason.CONNECTION_LOST, false, state.stamp));
                inFlight.forEach(k -> drop(k, Delta.Reason.CONNECTION_LOST, true, 0));
            };
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
                lastSentNanos = System.nanoTime();
            }
            if ((inFlight >= maxInFlight && queued.size() + slowCount >= maxQueued) || outbox.size() >= maxInFlight) {
                heldBack = true; // back-pressure: what the client sends now waits unread
                return;
            }
            if (heldBack) {
                heldBack = false;
                readingSinceNanos = System.nanoTime();
            }
            if (!hasBeenPulled(in) && !isClosed(in)) {
                pull(in);
            }
        }

        private void send(AsapMessage message) {
            outbox.add(message);
            count(message);
        }

        /** Counts an answer to a client's request in the request meters. */
        private void count(AsapMessage m) {
            switch (m.getBodyCase()) {
                case REGISTRATION_RESPONSE -> metrics.answered(reregistration ? RegistrarMetrics.Request.REREGISTRATION
                        : RegistrarMetrics.Request.REGISTRATION, m.getRegistrationResponse().getCause(),
                        answeringSince);
                case DEREGISTRATION_RESPONSE -> metrics.answered(RegistrarMetrics.Request.DEREGISTRATION,
                        m.getDeregistrationResponse().getCause(), answeringSince);
                case HANDLE_RESOLUTION_RESPONSE -> metrics.answered(RegistrarMetrics.Request.RESOLUTION,
                        m.getHandleResolutionResponse().getCause(), answeringSince);
                case DUMP_RESPONSE -> metrics.answered(RegistrarMetrics.Request.DUMP, m.getDumpResponse().getCause(),
                        answeringSince);
                case STATUS_RESPONSE -> metrics.answered(RegistrarMetrics.Request.STATUS, ErrorCause.ERROR_CAUSE_OK,
                        answeringSince);
                case ENDPOINT_KEEP_ALIVE -> metrics.keepAliveSent();
                case ERROR -> {
                    // refusals of requests that have no response of their own
                    if (answering == RegistrarMetrics.Request.UNREACHABILITY_REPORT
                            || answering == RegistrarMetrics.Request.DUMP
                            || answering == RegistrarMetrics.Request.STATUS) {
                        metrics.answered(answering, m.getError().getCause(), answeringSince);
                    }
                }
                default -> { }
            }
        }

        /** Answers sent from now on answer a request of {@code kind} that arrived at {@code since}. */
        private void answering(RegistrarMetrics.Request kind, long since, boolean isReregistration) {
            answering = kind;
            answeringSince = since;
            reregistration = isReregistration;
        }

        private static RegistrarMetrics.Request request(Kind kind) {
            return switch (kind) {
                case REGISTRATION -> RegistrarMetrics.Request.REGISTRATION;
                case DEREGISTRATION -> RegistrarMetrics.Request.DEREGISTRATION;
                case RESOLUTION -> RegistrarMetrics.Request.RESOLUTION;
                case REPORT -> RegistrarMetrics.Request.UNREACHABILITY_REPORT;
            };
        }

        // -------------------------------------------------------------- requests

        private void onRequest(Decoded<AsapMessage> decoded) {
            answering = null; // until the request is known: an Error for a frame that is none is not counted
            if (decoded instanceof Decoded.Malformed<AsapMessage> malformed) {
                node.badInput().log(remote, malformed.reason());
                send(WireCodec.errorReply(malformed));
                return;
            }
            AsapMessage message = ((Decoded.Ok<AsapMessage>) decoded).message();
            answering(switch (message.getBodyCase()) {
                case REGISTRATION -> RegistrarMetrics.Request.REGISTRATION;
                case DEREGISTRATION -> RegistrarMetrics.Request.DEREGISTRATION;
                case HANDLE_RESOLUTION -> RegistrarMetrics.Request.RESOLUTION;
                case ENDPOINT_UNREACHABLE -> RegistrarMetrics.Request.UNREACHABILITY_REPORT;
                case DUMP_REQUEST -> RegistrarMetrics.Request.DUMP;
                case STATUS_REQUEST -> RegistrarMetrics.Request.STATUS;
                default -> null;
            }, System.nanoTime(), false);
            switch (message.getBodyCase()) {
                case HANDLE_RESOLUTION -> onHandleResolution(message.getHandleResolution());
                case REGISTRATION -> onRegistration(message.getRegistration());
                case DEREGISTRATION -> onDeregistration(message.getDeregistration());
                case ENDPOINT_KEEP_ALIVE_ACK -> onKeepAliveAck(message.getEndpointKeepAliveAck());
                case ENDPOINT_UNREACHABLE -> onEndpointUnreachable(message.getEndpointUnreachable());
                case DUMP_REQUEST -> onDumpRequest(message.getDumpRequest());
                case STATUS_REQUEST -> onStatusRequest(message.getStatusRequest());
                case AUTHENTICATE -> onAuthenticate(message.getAuthenticate());
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

        private Authorization.Grant grant() {
            if (grant == null) {
                grant = node.authorization().grant(tlsSubject.get());
            }
            return grant;
        }

        /**
         * Whether this connection may do {@code operation} on {@code pool} (empty: on every pool); if not, logs the
         * denial (rate-limited, as bad input) and the caller answers with REJECTED_DUE_TO_SECURITY_CONSIDERATIONS.
         */
        private boolean permitted(Authorization.Operation operation, ByteString pool) {
            Authorization.Grant g = grant();
            boolean ok = pool.isEmpty() ? g.allowsAll(operation) : g.allows(operation, pool.toByteArray());
            if (!ok) {
                node.badInput().log(remote, "denied: " + g.identity() + " may not "
                        + operation.name().toLowerCase(java.util.Locale.ROOT) + " "
                        + (pool.isEmpty() ? "every pool" : "pool " + PoolHandle.of(pool.toByteArray())));
            }
            return ok;
        }

        private static final String DENIED = "not allowed for this client by the registrar's authorization rules";
        private static final int MAX_REFUSED_TOKENS = 3;

        private void onAuthenticate(Authenticate a) {
            if (a.getToken().isEmpty() || a.getToken().size() > 256) {
                node.badInput().log(remote, "authenticate with a token of " + a.getToken().size() + " bytes");
                send(error(a.getRequestId(), ErrorCause.ERROR_CAUSE_INVALID_VALUES, "a token has 1..256 bytes"));
                return;
            }
            if (refusedTokens >= MAX_REFUSED_TOKENS) {
                // no guessing: a connection gets a few tries, then needs a new connection for each
                send(error(a.getRequestId(), ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS,
                        MAX_REFUSED_TOKENS + " tokens were refused on this connection: connect again"));
                return;
            }
            Authorization.Grant g = node.authorization().grantWithToken(tlsSubject.get(), a.getToken().toByteArray());
            if (g == null) {
                refusedTokens++;
                node.badInput().log(remote, "authenticate with a token no authorization rule names");
                send(error(a.getRequestId(), ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS,
                        "no authorization rule names this token"));
                return;
            }
            grant = g;
            send(AsapMessage.newBuilder().setAuthenticateResponse(AuthenticateResponse.newBuilder()
                    .setRequestId(a.getRequestId()).setIdentity(g.identity())).build());
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
            if (!permitted(Authorization.Operation.RESOLVE, r.getPoolHandle())) {
                send(AsapMessage.newBuilder().setHandleResolutionResponse(HandleResolutionResponse.newBuilder()
                        .setRequestId(r.getRequestId()).setPoolHandle(r.getPoolHandle())
                        .setCause(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS)).build());
                return;
            }
            if (!resolutionRate.admits()) {
                if (resolutionRate.refused == 1 || resolutionRate.refused % 100_000 == 0) {
                    node.badInput().log(remote, "handle resolutions beyond max-hr-rate ("
                            + settings.limits().maxHrRate() + "/s): " + resolutionRate.refused + " refused");
                }
                send(AsapMessage.newBuilder().setHandleResolutionResponse(HandleResolutionResponse.newBuilder()
                        .setRequestId(r.getRequestId()).setPoolHandle(r.getPoolHandle())
                        .setCause(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES)).build());
                return;
            }
            int maxItems = r.hasMaxItems()
                    ? (int) Math.min(Integer.toUnsignedLong(r.getMaxItems()), Integer.MAX_VALUE) : 0;
            if (settings.resolutionMode() == RegistrarSettings.ResolutionMode.REPLICA) {
                send(AsapMessage.newBuilder()
                        .setHandleResolutionResponse(replica.resolve(r.getRequestId(), r.getPoolHandle(), h, maxItems,
                                node.clock().nowMicros()))
                        .build());
            } else {
                dispatch(Kind.RESOLUTION, r.getRequestId(), r.getPoolHandle(), 0, h,
                        id -> new ShardWriter.Resolve(h, maxItems, id, self));
            }
        }

        /** Operator requests (dump blocks, status) beyond {@value #MAX_OPERATOR_REQUESTS}/s are refused. */
        private boolean admitOperatorRequest(long requestId, String what) {
            if (operatorRate.admits()) {
                return true;
            }
            if (operatorRate.refused == 1 || operatorRate.refused % 10_000 == 0) {
                node.badInput().log(remote, what + " requests beyond " + MAX_OPERATOR_REQUESTS + "/s: "
                        + operatorRate.refused + " refused");
            }
            send(error(requestId, ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES,
                    "more than " + MAX_OPERATOR_REQUESTS + " dump and status requests per second"));
            return false;
        }

        private void onDumpRequest(DumpRequest r) {
            ByteString after = r.hasCursor() ? r.getCursor().getAfterPoolHandle() : ByteString.EMPTY;
            if (!r.getPoolHandle().isEmpty() && !after.isEmpty() && !after.equals(r.getPoolHandle())) {
                // a one-pool dump goes on inside that pool only: a cursor naming another would read that one
                node.badInput().log(remote, "dump of one pool with a cursor in another");
                send(error(r.getRequestId(), ErrorCause.ERROR_CAUSE_INVALID_VALUES,
                        "the cursor of a one-pool dump names another pool"));
                return;
            }
            if (!permitted(Authorization.Operation.DUMP, r.getPoolHandle())) {
                send(error(r.getRequestId(), ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, DENIED));
                return;
            }
            if (admitOperatorRequest(r.getRequestId(), "dump")) {
                // room for the last PE entry (at most 64 addresses) and a pool handle beyond the block's budget
                int budget = Math.max(512, settings.maxFrameLength() - 2048);
                DumpResponse response = replica.dump(r, settings.handlespace().maxPoolHandleLength(), budget,
                        node.clock().nowMicros());
                if (response.getCause() == ErrorCause.ERROR_CAUSE_INVALID_VALUES) {
                    node.badInput().log(remote, "dump request with invalid values (pool handle or cursor)");
                }
                send(AsapMessage.newBuilder().setDumpResponse(response).build());
            }
        }

        private void onStatusRequest(StatusRequest r) {
            if (!permitted(Authorization.Operation.DUMP, ByteString.EMPTY)) {
                send(error(r.getRequestId(), ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, DENIED));
                return;
            }
            if (admitOperatorRequest(r.getRequestId(), "status")) {
                send(AsapMessage.newBuilder().setStatusResponse(node.status().status(r.getRequestId())).build());
            }
        }

        private void onRegistration(Registration r) {
            PoolHandle h = handle(r.getPoolHandle(), "registration");
            if (h == null) {
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            if (!permitted(Authorization.Operation.REGISTER, r.getPoolHandle())) {
                send(registrationResponse(r.getRequestId(), r.getPoolHandle(), r.getPeId(),
                        ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS));
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
            if (!validSecret(r.getOwnerSecret())) {
                node.badInput().log(remote, "registration of " + h + " with an owner secret of "
                        + r.getOwnerSecret().size() + " bytes (" + MIN_OWNER_SECRET + ".." + MAX_OWNER_SECRET + ")");
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
            pendingRegistrations++;
            long[] owner = ownerHash(r.getOwnerSecret(), sha256);
            dispatch(Kind.REGISTRATION, r.getRequestId(), r.getPoolHandle(), r.getPeId(), h,
                    id -> new ShardWriter.Register(h, r.getPeId(), policy, addresses, (int) life, node.registrarId(),
                            owner[0], owner[1], id, self, pes.containsKey(new PeKey(h, r.getPeId()))));
        }

        private void onDeregistration(Deregistration d) {
            PoolHandle h = handle(d.getPoolHandle(), "deregistration");
            if (h == null) {
                send(deregistrationResponse(d.getRequestId(), d.getPoolHandle(), d.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            if (!permitted(Authorization.Operation.REGISTER, d.getPoolHandle())) {
                send(deregistrationResponse(d.getRequestId(), d.getPoolHandle(), d.getPeId(),
                        ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS));
                return;
            }
            if (!validSecret(d.getOwnerSecret())) {
                node.badInput().log(remote, "deregistration of " + h + " with an owner secret of "
                        + d.getOwnerSecret().size() + " bytes");
                send(deregistrationResponse(d.getRequestId(), d.getPoolHandle(), d.getPeId(),
                        ErrorCause.ERROR_CAUSE_INVALID_VALUES));
                return;
            }
            long[] owner = ownerHash(d.getOwnerSecret(), sha256);
            dispatch(Kind.DEREGISTRATION, d.getRequestId(), d.getPoolHandle(), d.getPeId(), h,
                    id -> new ShardWriter.Deregister(h, d.getPeId(), owner[0], owner[1], id, self,
                            pes.containsKey(new PeKey(h, d.getPeId()))));
        }

        private void onEndpointUnreachable(EndpointUnreachable u) {
            PoolHandle h = handle(u.getPoolHandle(), "unreachability report");
            if (h == null) {
                send(error(u.getRequestId(), ErrorCause.ERROR_CAUSE_INVALID_VALUES, "bad pool handle"));
                return;
            }
            if (!permitted(Authorization.Operation.REPORT, u.getPoolHandle())) {
                send(error(u.getRequestId(), ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, DENIED));
                return;
            }
            if (!reportRate.admits()) {
                if (reportRate.refused == 1 || reportRate.refused % 10_000 == 0) {
                    node.badInput().log(remote, "unreachability reports beyond max-eu-rate ("
                            + settings.limits().maxEuRate() + "/s): " + reportRate.refused + " refused");
                }
                send(error(u.getRequestId(), ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES,
                        "more than max-eu-rate (" + settings.limits().maxEuRate() + ") reports per second"));
                return;
            }
            // a report about nothing this node knows goes to no writer (it would wake the shard for nothing)
            Status known = replica.apply(replica.shardOf(h), s -> s.pool(h) == null ? Status.UNKNOWN_POOL_HANDLE
                    : s.find(h, u.getPeId()) == null ? Status.UNKNOWN_POOL_ELEMENT : Status.REPORTED);
            if (known != Status.REPORTED) {
                send(error(u.getRequestId(), WireMapping.cause(known), "unreachability report for " + h + " PE "
                        + Integer.toUnsignedString(u.getPeId(), 16) + ": " + known));
                return;
            }
            dispatch(Kind.REPORT, u.getRequestId(), u.getPoolHandle(), u.getPeId(), h,
                    id -> new ShardWriter.ReportUnreachable(h, u.getPeId(), reporterId, id, self));
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

        /**
         * @param inFlight the session never got the PE, as far as it knows (its registration was on its way)
         * @param stamp    the PE's registration stamp in its writer's last answer to this session (0: none)
         */
        private void drop(PeKey key, Delta.Reason reason, boolean inFlight, long stamp) {
            sharding.tell(key.handle(), new ShardWriter.DropSessionElement(key.handle(), key.peId(), reason,
                    node.registrarId(), self, inFlight, stamp));
        }

        // -------------------------------------------------------------- replies from shard writers

        /** Sends a command to the writer of {@code handle}'s shard and waits for its answer (see {@link #retry}). */
        private void dispatch(Kind kind, long clientRequestId, ByteString wireHandle, int peId, PoolHandle handle,
                              java.util.function.LongFunction<ShardWriter.Command> command) {
            long id = ++nextInternalId;
            ShardWriter.Command c = command.apply(id);
            if (kind == Kind.REGISTRATION || kind == Kind.DEREGISTRATION) {
                Pending answered = answeredByPe.remove(new PeKey(handle, peId));
                if (answered != null) {
                    pending.remove(answered.id); // superseded: this newer request carries what the client wants now
                }
            }
            Pending p = new Pending(id, kind, clientRequestId, wireHandle, peId, handle, c, System.nanoTime());
            if (!isTimerActive(REQUEST_RETRY)) {
                scheduleOnce(REQUEST_RETRY, settings.requestRetryInterval());
            }
            if (inFlight < maxInFlight) {
                send(p);
            } else {
                queued.add(p); // flushAndPull stops reading once the queue is full too
            }
        }

        private void send(Pending p) {
            p.sentNanos = System.nanoTime();
            p.dispatchedNanos = p.sentNanos;
            pending.put(p.id, p);
            inFlight++;
            sharding.tell(p.handle, p.command);
        }

        /** Frees what an unanswered request held: its in-flight slot, or its place among the slow ones. */
        private void release(Pending p) {
            if (p.slow) {
                p.slow = false;
                slowCount--;
            } else {
                inFlight--;
            }
        }

        /** Sends queued requests while slots are free. */
        private void sendQueued() {
            while (inFlight < maxInFlight && !queued.isEmpty()) {
                send(queued.poll());
            }
        }

        /** Forgets a re-registration this session answered itself, so that it is not sent again. */
        private void forgetAnswered(PeKey key) {
            Pending answered = answeredByPe.remove(key);
            if (answered != null) {
                pending.remove(answered.id);
            }
        }

        /**
         * Whether this node's replica lists the PE a registration is about, with the policy type and addresses the
         * registration gives: then the PE stays listed whatever the writer makes of the registration (a new
         * deadline, a new home registrar after a fail-over, new policy values such as a load, applied once the
         * writer runs).
         */
        private boolean listedAsRegistered(Pending p) {
            if (!(p.command instanceof ShardWriter.Register r)) {
                return false;
            }
            boolean holds = pes.containsKey(new PeKey(r.handle(), r.peId()));
            return replica.apply(replica.shardOf(r.handle()), s -> {
                PoolElement e = s.find(r.handle(), r.peId());
                return e != null && e.pool().policy() == r.policy().type() && e.addressBlock().equals(r.addresses())
                        && (holds || e.ownedBy(r.ownerHashHi(), r.ownerHashLo()));
            });
        }

        /**
         * Sends the commands unanswered for a retry interval again (a writer that died, or whose shard moved, lost
         * them; commands are idempotent but for unreachability reports, which are not sent twice), and answers the
         * requests unanswered for the request timeout with an error, so that no request holds a slot for ever.
         */
        private void retry() {
            long now = System.nanoTime();
            List<Pending> expired = new ArrayList<>();
            List<Pending> localAcks = new ArrayList<>();
            for (Pending p : pending.values()) {
                if (!p.answered && now - p.firstNanos >= requestTimeoutNanos) {
                    expired.add(p);
                    continue;
                }
                if (!p.answered && p.kind == Kind.REGISTRATION && now - p.firstNanos >= localAckNanos) {
                    localAcks.add(p);
                }
                if (!p.answered && !p.slow && now - p.dispatchedNanos >= retryNanos) {
                    // its writer is gone (a takeover) or stuck: the requests behind it, most of them for other
                    // writers, get its slot; the slow ones count against max-queued-per-connection instead
                    p.slow = true;
                    inFlight--;
                    slowCount++;
                }
                // sent again after 1, 2, 4, then every 8 retry intervals: a copy only helps if the last one was
                // lost, and while the shard has no writer (a takeover) the region buffers every copy
                if (now - p.sentNanos >= retryNanos << Math.min(3, p.attempts - 1) && p.kind != Kind.REPORT) {
                    p.sentNanos = now;
                    p.attempts++;
                    if (p.attempts == 8) {
                        node.badInput().log(remote, p.kind + " of pool " + p.handle + " PE "
                                + Integer.toUnsignedString(p.peId, 16) + " sent " + p.attempts + " times in "
                                + (now - p.firstNanos) / 1_000_000 + " ms without an answer from its writer (shard "
                                + replica.shardOf(p.handle) + ", route " + sharding.routeOf(p.handle) + ")");
                    }
                    sharding.tell(p.handle, p.command);
                }
            }
            for (Pending p : localAcks) {
                if (listedAsRegistered(p)) {
                    answerLocally(p);
                }
            }
            while (!queued.isEmpty() && now - queued.peek().firstNanos >= requestTimeoutNanos) {
                expired.add(queued.poll()); // never sent: holds no slot
            }
            for (Pending p : expired) {
                if (pending.remove(p.id) != null) {
                    release(p);
                }
                String detail = "no answer from the pool's writer within " + settings.requestTimeout().toMillis()
                        + " ms";
                answering(request(p.kind), p.firstNanos, false);
                switch (p.kind) {
                    case REGISTRATION -> {
                        pendingRegistrations--;
                        timedOut.add(new PeKey(p.handle, p.peId));
                        if (timedOut.size() > MAX_TIMED_OUT) {
                            timedOut.remove(timedOut.iterator().next());
                        }
                        send(registrationResponse(p.clientRequestId, p.wireHandle, p.peId,
                                ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES));
                    }
                    case DEREGISTRATION -> send(deregistrationResponse(p.clientRequestId, p.wireHandle, p.peId,
                            ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES));
                    case RESOLUTION -> send(AsapMessage.newBuilder().setHandleResolutionResponse(
                            HandleResolutionResponse.newBuilder().setRequestId(p.clientRequestId)
                                    .setPoolHandle(p.wireHandle).setCause(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES))
                            .build());
                    case REPORT -> { } // reports have no response
                }
                node.badInput().log(remote, p.kind + " of request " + p.clientRequestId + ": " + detail);
            }
            sendQueued();
            if (inFlight + slowCount > 0 || !queued.isEmpty()) {
                if (now - lastSentNanos >= retryNanos << 1 && outbox.isEmpty()) {
                    // a client waits and has heard nothing for a while: it would take this registrar for dead
                    // and fail over. The ServerAnnounce again says that this one is alive (and who the peers are).
                    send(announce);
                }
            }
            if (!pending.isEmpty() || !queued.isEmpty()) {
                scheduleOnce(REQUEST_RETRY, settings.requestRetryInterval());
            }
        }

        /**
         * Answers a re-registration whose writer has not answered within {@code local-ack-after}, of a PE this node's
         * replica lists as it is registered: the PE is listed, which is what the client needs to hear while the
         * writer of its pool's shard is being taken over. The registration stays pending, without a slot, and is
         * sent again until its writer applies it (new deadline, home registrar) or the client supersedes it.
         */
        private void answerLocally(Pending p) {
            release(p);
            p.answered = true;
            pendingRegistrations--;
            PeKey key = new PeKey(p.handle, p.peId);
            Pending older = answeredByPe.put(key, p);
            if (older != null) {
                pending.remove(older.id);
            }
            pes.computeIfAbsent(key, k -> new KeepAliveState(p.wireHandle)).sentAtNanos = 0;
            answering(RegistrarMetrics.Request.REREGISTRATION, p.firstNanos, true);
            send(registrationResponse(p.clientRequestId, p.wireHandle, p.peId, ErrorCause.ERROR_CAUSE_OK));
            localAcks++;
        }

        private void onReply(ShardWriter.Reply reply) {
            if (reply instanceof ShardWriter.Reclaimed r) {
                // the PE is registered through this session again: its keep-alives are this session's to send
                released.remove(new PeKey(r.poolHandle(), r.peId()));
                pes.computeIfAbsent(new PeKey(r.poolHandle(), r.peId()),
                        k -> new KeepAliveState(WireMapping.poolHandle(k.handle()))).stamp = r.stamp();
                flushAndPull();
                return;
            }
            if (reply instanceof ShardWriter.Released r) {
                PeKey key = new PeKey(r.poolHandle(), r.peId());
                pes.remove(key);
                long now = System.nanoTime();
                for (java.util.Iterator<Long> oldest = released.values().iterator(); oldest.hasNext(); ) {
                    if (now - oldest.next() <= reclaimWindowNanos) {
                        break; // the rest were released later
                    }
                    oldest.remove();
                }
                released.remove(key);
                if (released.size() < settings.maxPesPerConnection()) {
                    released.put(key, now);
                }
                forgetAnswered(key);
                flushAndPull();
                return;
            }
            long internalId = reply instanceof ShardWriter.Registered r ? r.requestId()
                    : reply instanceof ShardWriter.Deregistered d ? d.requestId()
                    : reply instanceof ShardWriter.Resolved r ? r.requestId()
                    : ((ShardWriter.Reported) reply).requestId();
            Pending p = pending.remove(internalId);
            if (p == null) {
                // the answer to a command sent twice, or one answered with an error already
                if (reply instanceof ShardWriter.Registered r && r.status() == Status.ADDED) {
                    PeKey key = new PeKey(r.poolHandle(), r.peId());
                    if (!pes.containsKey(key) && pending.values().stream().noneMatch(q -> q.kind == Kind.REGISTRATION
                            && q.peId == r.peId() && q.handle.equals(r.poolHandle()))) {
                        // a late copy of a registration (its first copy was slow, the retry took another route)
                        // added a PE the client has since deregistered, or was told had failed, and is not
                        // registering again: undo it
                        drop(key, Delta.Reason.DEREGISTRATION, false, r.stamp());
                    }
                }
                return;
            }
            if (p.answered) {
                // the writer applied a re-registration this session had answered itself
                PeKey key = new PeKey(p.handle, p.peId);
                answeredByPe.remove(key, p);
                if (reply instanceof ShardWriter.Registered r) {
                    KeepAliveState state = pes.get(key);
                    if (!(r.status() == Status.ADDED || r.status() == Status.UPDATED)) {
                        // refused after all (its pool changed meanwhile): the client's next try is told
                        pes.remove(key);
                        node.badInput().log(remote, "re-registration of " + p.handle + " PE "
                                + Integer.toUnsignedString(p.peId, 16) + " answered early, then refused: "
                                + r.status());
                    } else if (state != null) {
                        state.stamp = r.stamp();
                    }
                }
                return;
            }
            release(p);
            sendQueued();
            answering(request(p.kind), p.firstNanos,
                    reply instanceof ShardWriter.Registered r0 && r0.status() == Status.UPDATED);
            if (reply instanceof ShardWriter.Registered r) {
                pendingRegistrations--;
                if (r.status() == Status.ADDED || r.status() == Status.UPDATED) {
                    // a (re-)registration answers any keep-alive still outstanding: the PE is alive, and a client
                    // that ignored that keep-alive (its registration had timed out on its side) registered again
                    KeepAliveState state = pes.computeIfAbsent(new PeKey(r.poolHandle(), r.peId()),
                            k -> new KeepAliveState(WireMapping.poolHandle(k.handle())));
                    state.sentAtNanos = 0;
                    state.stamp = r.stamp();
                }
                send(registrationResponse(p.clientRequestId, p.wireHandle, r.peId(), WireMapping.cause(r.status())));
            } else if (reply instanceof ShardWriter.Deregistered d) {
                // a deregistration sent again may find the PE gone by its first attempt: that is what was asked
                boolean gone = p.attempts > 1 && (d.status() == Status.UNKNOWN_POOL_ELEMENT
                        || d.status() == Status.UNKNOWN_POOL_HANDLE);
                send(deregistrationResponse(p.clientRequestId, p.wireHandle, d.peId(),
                        gone ? ErrorCause.ERROR_CAUSE_OK : WireMapping.cause(d.status())));
            } else if (reply instanceof ShardWriter.Resolved r) {
                HandleResolutionResponse.Builder b = HandleResolutionResponse.newBuilder()
                        .setRequestId(p.clientRequestId).setPoolHandle(p.wireHandle)
                        .setPolicyType(r.policyType()).addAllElements(r.elements());
                if (r.status() == Status.UNKNOWN_POOL_HANDLE) {
                    b.setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE);
                }
                send(AsapMessage.newBuilder().setHandleResolutionResponse(b).build());
            } else if (reply instanceof ShardWriter.Reported r) {
                // an unreachability report has no response, except an Error when it could not be applied
                if (r.status().isSuccess()) {
                    metrics.answered(RegistrarMetrics.Request.UNREACHABILITY_REPORT, ErrorCause.ERROR_CAUSE_OK,
                            p.firstNanos);
                } else {
                    send(error(p.clientRequestId, WireMapping.cause(r.status()),
                            "unreachability report for " + r.poolHandle() + " PE "
                                    + Integer.toUnsignedString(r.peId(), 16) + ": " + r.status()));
                }
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
            } else if (REQUEST_RETRY.equals(key)) {
                retry();
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

        /**
         * Removes the PEs whose keep-alive went unanswered for the timeout, counting only time in which this session
         * read everything the client sent: while it holds input back, an ack may be waiting unread behind the
         * client's requests, and the client is not to blame.
         */
        private void expireKeepAlives() {
            long now = System.nanoTime();
            if (heldBack) {
                scheduleOnce(KEEP_ALIVE_TIMEOUT, settings.keepAliveTimeout());
                return;
            }
            long oldestPending = Long.MAX_VALUE;
            for (Iterator<Map.Entry<PeKey, KeepAliveState>> it = pes.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<PeKey, KeepAliveState> entry = it.next();
                long sentAt = entry.getValue().sentAtNanos;
                if (sentAt == 0) {
                    continue;
                }
                sentAt = Math.max(sentAt, readingSinceNanos);
                if (now - sentAt >= keepAliveTimeoutNanos) {
                    it.remove();
                    forgetAnswered(entry.getKey());
                    drop(entry.getKey(), Delta.Reason.KEEP_ALIVE_LOST, false, entry.getValue().stamp);
                    metrics.keepAliveLost();
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

    private static AsapMessage deregistrationResponse(long requestId, ByteString handle, int peId,
                                                      ErrorCause cause) {
        return AsapMessage.newBuilder().setDeregistrationResponse(DeregistrationResponse.newBuilder()
                .setRequestId(requestId).setPoolHandle(handle).setPeId(peId).setCause(cause)).build();
    }

    private static AsapMessage error(long requestId, ErrorCause cause, String detail) {
        return AsapMessage.newBuilder().setError(Error.newBuilder()
                .setRequestId(requestId).setCause(cause).setDetail(detail)).build();
    }
}
