package org.poolkeeper.registrar.endpoint;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.protocol.TcpFraming;
import org.poolkeeper.protocol.WireCodec;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Error;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;
import org.poolkeeper.protocol.wire.ServerAnnounce;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.registrar.node.Authorization;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.ClientNetworks;
import org.poolkeeper.registrar.node.BindHost;
import org.poolkeeper.registrar.node.Limit;
import org.poolkeeper.registrar.node.RegistrarMetrics;
import org.poolkeeper.registrar.node.MicrosClock;
import org.poolkeeper.registrar.pool.PoolSharding;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.node.RegistrarSettings;
import org.poolkeeper.registrar.node.TlsSettings;
import org.poolkeeper.registrar.replication.PeerEndpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registrar's client (ASAP-style) TCP endpoint: binds {@code host:asap-port} with Pekko Streams and runs
 * one {@link AsapSession} per accepted connection behind the protocol's length-prefixed framing. Connections
 * from outside {@code allowed-client-networks} get one Error ({@code REJECTED_DUE_TO_SECURITY_CONSIDERATIONS})
 * and are closed. A failing connection (framing error, oversized frame, reset) affects only itself.
 */
public final class AsapEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(AsapEndpoint.class);

    /** Most bytes merged into one socket write while the previous write is in progress. */
    private static final long WRITE_BATCH_BYTES = 64 * 1024;

    private AsapEndpoint() {
    }

    /**
     * What the endpoint and every session of a node work with.
     *
     * @param registrarId this registrar's id: the home registrar of the PEs registered through it
     */
    public record Context(ActorSystem<?> system, int registrarId, RegistrarSettings settings, NodeReplica replica,
                          PoolSharding sharding, MicrosClock clock, BadInputLog badInput, ServingGate gate,
                          StatusSource status, RegistrarMetrics metrics, TlsSettings tls,
                          Authorization authorization) {
    }

    /** This node's answer to a StatusRequest. */
    @FunctionalInterface
    public interface StatusSource {
        StatusResponse status(long requestId);
    }

    /**
     * Binds the endpoint; the stage completes with the binding once the port is open.
     *
     * @param peers the other registrars' client endpoints, announced to every new connection
     */
    public static CompletionStage<Tcp.ServerBinding> bind(Context context, PeerEndpoints peers) {
        ActorSystem<?> system = context.system();
        RegistrarSettings settings = context.settings();
        ClientNetworks networks = new ClientNetworks(settings.allowedClientNetworks());
        int maxFrame = settings.maxFrameLength();
        RegistrarSettings.Limits limits = settings.limits();
        AtomicLong unfinishedBytes = new AtomicLong();
        AtomicInteger open = new AtomicInteger();
        Map<InetAddress, Integer> openByAddress = new ConcurrentHashMap<>();
        Limit connections = new Limit("max-connections", limits.maxConnections());
        RegistrarMetrics metrics = context.metrics();
        TlsSettings tls = context.tls();
        io.micrometer.core.instrument.Gauge.builder("poolkeeper.connections", open, AtomicInteger::get)
                .description("Client connections open").register(metrics.registry());
        return Tcp.get(system).bind(BindHost.of(system.settings().config()), settings.asapPort())
                .to(Sink.foreach(connection -> {
                    InetSocketAddress remote = connection.remoteAddress();
                    if (!networks.allows(remote.getAddress())) {
                        context.badInput().log(remote, "connection from outside allowed-client-networks refused");
                        metrics.connectionRefused();
                        connection.handleWith(refusal(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS,
                                "connections from this network are not accepted"), system);
                        return;
                    }
                    if (!context.gate().serving()) {
                        // downed, shutting down or just resumed from a pause: not a registrar to talk to now
                        metrics.connectionRefused();
                        connection.handleWith(Flow.fromSinkAndSourceCoupled(Sink.<ByteString>ignore(),
                                Source.<ByteString>empty()), system);
                        return;
                    }
                    int total = open.incrementAndGet();
                    int mine = openByAddress.merge(remote.getAddress(), 1, Integer::sum);
                    Runnable closed = () -> {
                        open.decrementAndGet();
                        openByAddress.computeIfPresent(remote.getAddress(), (a, n) -> n == 1 ? null : n - 1);
                    };
                    // one address at its limit is that address's business: logged as bad input, rate-limited
                    if (!connections.admits(total - 1) || mine > limits.maxConnectionsPerAddress()) {
                        context.badInput().log(remote, "connection refused: " + (total > limits.maxConnections()
                                ? "max-connections (" + limits.maxConnections() + ")"
                                : "max-connections-per-address (" + limits.maxConnectionsPerAddress() + ")")
                                + " reached");
                        closed.run(); // a refused connection holds no place
                        metrics.connectionRefused();
                        connection.handleWith(refusal(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES,
                                "too many connections"), system);
                        return;
                    }
                    metrics.connectionAccepted();
                    ServerAnnounce announce = announce(context, peers, connection.localAddress());
                    AtomicReference<String> subject = new AtomicReference<>(); // set by the TLS handshake
                    Flow<ByteString, ByteString, NotUsed> session = Flow.fromGraph(new ConnectionGuard(remote,
                                    limits.frameTimeout(), limits.idleTimeout(), limits.maxUnfinishedFrameBytes(),
                                    unfinishedBytes, context.badInput()))
                            .via(TcpFraming.asap(maxFrame).reversed()
                                    .join(Flow.fromGraph(new AsapSession(context, remote, announce, subject::get))))
                            // while the socket is busy writing, queued frames are merged into one write
                            .batchWeighted(WRITE_BATCH_BYTES, frame -> (long) frame.size(), frame -> frame, ByteString::concat)
                            // the gate closes every connection at once when the node must stop serving
                            .via(context.gate().connections().flow());
                    // under TLS every element becomes a record of its own: the frames of one turn go as one
                    Flow<ByteString, ByteString, NotUsed> wire = tls.enabled()
                            ? tlsWire(tls, session.via(new WriteCoalescer((int) WRITE_BATCH_BYTES)),
                                    limits.frameTimeout(), subject,
                                    why -> context.badInput().log(remote, "TLS failed: " + why)) : session;
                    connection.handleWith(wire.watchTermination(Keep.right()), system)
                            .whenComplete((done, error) -> closed.run());
                }))
                .run(system)
                .thenApply(binding -> {
                    LOG.debug("ASAP endpoint listening on {}", binding.localAddress());
                    return binding;
                });
    }

    /**
     * The connection's bytes through TLS around {@code plain}. The first chunk decides: a TLS record (a
     * ClientHello starts with 0x16) goes to the handshake; anything else is a plaintext client, which gets one
     * plaintext Error frame saying so and is disconnected. Nothing within {@code firstByteTimeout}: closed. Once
     * the handshake is done, {@code identity} holds the subject of the client's certificate, if it sent one.
     */
    static Flow<ByteString, ByteString, NotUsed> tlsWire(TlsSettings tls, Flow<ByteString, ByteString, NotUsed> plain,
                                                        java.time.Duration firstByteTimeout,
                                                        AtomicReference<String> identity,
                                                        java.util.function.Consumer<String> failed) {
        // Pekko's TLS stage ends a failed handshake quietly: why it failed is gathered here
        AtomicReference<String> refusedBecause = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean handshakeDone = new java.util.concurrent.atomic.AtomicBoolean();
        BidiFlow<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed> stage =
                TLS.create(() -> tls.material().serverEngine(tls.clientAuth(), refusedBecause::set),
                        session -> {
                            handshakeDone.set(true);
                            identity.set(peerSubject(session));
                        }, TLSClosing.eagerClose())
                        // it takes one element at a time, so what queues meanwhile reaches it merged
                        .addAttributes(Attributes.inputBuffer(1, 1));
        BidiFlow<ByteString, TLSProtocol.SslTlsOutbound, TLSProtocol.SslTlsInbound, ByteString, NotUsed> bytes =
                BidiFlow.fromFlows(
                        Flow.<ByteString>create().map(b -> (TLSProtocol.SslTlsOutbound) new TLSProtocol.SendBytes(b)),
                        Flow.<TLSProtocol.SslTlsInbound>create()
                                .filter(m -> m instanceof TLSProtocol.SessionBytes)
                                .map(m -> ((TLSProtocol.SessionBytes) m).bytes())
                                // a failed handshake (or a broken record) fails the decrypted side
                                .watchTermination((mat, done) -> {
                                    done.whenComplete((d, error) -> {
                                        if (TlsMaterial.failure(error) != null) {
                                            failed.accept(TlsMaterial.failure(error));
                                        } else if (!handshakeDone.get()) {
                                            failed.accept("handshake not completed: " + (refusedBecause.get() != null
                                                    ? "the client's " + refusedBecause.get()
                                                    : tls.clientAuth() == TlsMaterial.ClientAuth.REQUIRED
                                                    ? "no client certificate (one is required), or the client "
                                                    + "refused this registrar's certificate"
                                                    : "the client refused this registrar's certificate or left"));
                                        }
                                    });
                                    return mat;
                                }));
        Flow<ByteString, ByteString, NotUsed> encrypted = bytes.atop(stage).reversed().join(plain);
        return Flow.<ByteString>create()
                .initialTimeout(firstByteTimeout)
                .flatMapPrefix(1, prefix -> {
                    if (prefix.isEmpty()) {
                        return Flow.fromSinkAndSourceCoupled(Sink.<ByteString>ignore(), Source.<ByteString>empty());
                    }
                    ByteString first = prefix.get(0);
                    Flow<ByteString, ByteString, NotUsed> rest = first.nonEmpty() && first.apply(0) == 0x16
                            ? encrypted : refusal(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS,
                            "this registrar's client port speaks TLS only: connect with TLS");
                    return Flow.<ByteString>create().prepend(Source.from(prefix)).via(rest);
                });
    }

    /** The subject of the client's certificate, or null if it presented none. */
    private static String peerSubject(javax.net.ssl.SSLSession session) {
        try {
            return session.getPeerPrincipal().getName();
        } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
            return null;
        }
    }

    /** The ServerAnnounce a new connection gets first: this registrar, then the other live ones. */
    static ServerAnnounce announce(Context context, PeerEndpoints peers, InetSocketAddress local) {
        return ServerAnnounce.newBuilder()
                .setRegistrarId(context.registrarId())
                .addRegistrars(RegistrarEndpoint.newBuilder()
                        .setRegistrarId(context.registrarId())
                        .setHost(context.settings().host())
                        .setPort(local.getPort()))
                .addAllRegistrars(peers.all())
                .build();
    }

    /** One Error, then the connection closes. */
    private static Flow<ByteString, ByteString, NotUsed> refusal(ErrorCause cause, String detail) {
        AsapMessage error = AsapMessage.newBuilder().setError(Error.newBuilder()
                .setCause(cause)
                .setDetail(detail)).build();
        ByteString payload = WireCodec.encode(error);
        ByteString frame = ByteString.fromArrayUnsafe(new byte[] {
                (byte) (payload.size() >>> 24), (byte) (payload.size() >>> 16), (byte) (payload.size() >>> 8),
                (byte) payload.size()}).concat(payload);
        assert payload.size() <= FrameDecoder.DEFAULT_MAX_FRAME_LENGTH;
        return Flow.fromSinkAndSourceCoupled(Sink.<ByteString>ignore(), Source.single(frame));
    }
}
