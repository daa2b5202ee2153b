package org.poolkeeper.client.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.Decoded;
import org.poolkeeper.protocol.TcpFraming;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Authenticate;

/**
 * One TCP connection to one registrar: a bounded send queue into the length-prefixed protobuf framing, and
 * every decoded message handed to a consumer on the stream's thread. Thread-safe.
 */
public final class RegistrarConnection {
    /** The request id of the Authenticate a connection with a token starts with (the session's ids count up). */
    static final long AUTHENTICATE_ID = -1L;

    private final RegistrarAddress address;
    private final BoundedSourceQueue<AsapMessage> queue;
    private volatile boolean open = true;
    /** When the registrar last sent anything on this connection (System.nanoTime()). */
    private final AtomicLong lastReceivedNanos;

    private RegistrarConnection(RegistrarAddress address, BoundedSourceQueue<AsapMessage> queue,
                                AtomicLong lastReceivedNanos) {
        this.address = address;
        this.lastReceivedNanos = lastReceivedNanos;
        this.queue = queue;
    }

    /**
     * Connects. The stage completes when the TCP connection is established (or fails); {@code closed} runs
     * once when the connection ends for any reason after that.
     */
    public static CompletionStage<RegistrarConnection> open(ActorSystem<?> system, RegistrarAddress address,
                                                            Duration connectTimeout, int maxFrameLength,
                                                            int sendBuffer, TlsMaterial tls,
                                                            Duration firstFrameTimeout, String token,
                                                            Consumer<AsapMessage> inbound,
                                                            Consumer<RegistrarConnection> closed) {
        InetSocketAddress remote = new InetSocketAddress(address.host(), address.port());
        // with TLS, the connection counts as open once the handshake is done: a failed one is a failed attempt
        CompletableFuture<Void> handshake = new CompletableFuture<>();
        // and, with TLS, once the registrar's first frame (its ServerAnnounce) arrived: under TLS 1.3 a registrar
        // refuses a client's certificate (or its lack) only after the client's side of the handshake is done
        CompletableFuture<Void> firstFrame = new CompletableFuture<>();
        // with a token, once the registrar accepted it (its AuthenticateResponse); a refusal fails the attempt
        CompletableFuture<Void> authenticated = new CompletableFuture<>();
        Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> tcp = tls == null
                ? Tcp.get(system).outgoingConnection(remote, Optional.empty(), List.of(), false,
                        Optional.of(connectTimeout), Optional.empty())
                : Tcp.get(system).outgoingConnectionWithTls(remote,
                        () -> tls.clientEngine(address.host(), address.port()), Optional.empty(), List.of(),
                        Optional.of(connectTimeout), Optional.empty(), session -> {
                            handshake.complete(null);
                            return Optional.empty();
                        }, TLSClosing.eagerClose());
        if (tls == null) {
            handshake.complete(null);
        }
        Flow<AsapMessage, Decoded<AsapMessage>, CompletionStage<Tcp.OutgoingConnection>> framed =
                TcpFraming.asap(maxFrameLength).join(tcp, Keep.right());
        AtomicLong lastReceived = new AtomicLong(System.nanoTime());
        Pair<Pair<BoundedSourceQueue<AsapMessage>, CompletionStage<Tcp.OutgoingConnection>>, CompletionStage<Done>> m =
                Source.<AsapMessage>queue(sendBuffer)
                        .viaMat(framed, Keep.both())
                        .toMat(Sink.foreach(decoded -> {
                            lastReceived.set(System.nanoTime());
                            firstFrame.complete(null);
                            if (decoded instanceof Decoded.Ok<AsapMessage> ok) {
                                AsapMessage message = ok.message();
                                if (token != null && !authenticated.isDone()) {
                                    if (message.hasAuthenticateResponse()
                                            && message.getAuthenticateResponse().getRequestId() == AUTHENTICATE_ID) {
                                        authenticated.complete(null);
                                        return;
                                    }
                                    // request id 0: a registrar without Authenticate (UNRECOGNIZED_MESSAGE)
                                    if (message.hasError() && (message.getError().getRequestId() == AUTHENTICATE_ID
                                            || message.getError().getRequestId() == 0)) {
                                        authenticated.completeExceptionally(new java.io.IOException("registrar "
                                                + address + " refused this client's token: "
                                                + message.getError().getDetail()));
                                        return;
                                    }
                                }
                                inbound.accept(message);
                            }
                        }), Keep.both())
                        .run(system);
        RegistrarConnection connection = new RegistrarConnection(address, m.first().first(), lastReceived);
        m.second().whenComplete((done, error) -> {
            connection.open = false;
            if (!handshake.isDone()) {
                handshake.completeExceptionally(tlsFailure(error, address));
            }
            if (!firstFrame.isDone()) {
                firstFrame.completeExceptionally(tls == null ? new java.io.IOException("connection to " + address
                        + " closed before the registrar's first message") : tlsFailure(error, address));
            }
            closed.accept(connection);
        });
        // a registrar that accepted the TCP connection but does not handshake (paused, overloaded) is a failed
        // attempt after the connect timeout plus the first-frame timeout, not a connection that never opens
        CompletableFuture<Void> handshakeBounded = tls == null ? handshake : handshake
                .orTimeout(connectTimeout.toMillis() + firstFrameTimeout.toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
        CompletionStage<Void> ready = tls == null ? handshake : handshakeBounded.thenCompose(ok -> firstFrame
                .orTimeout(firstFrameTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .whenComplete((x, timedOut) -> {
                    if (timedOut != null) {
                        connection.close();
                    }
                }));
        handshakeBounded.whenComplete((x, timedOut) -> {
            if (timedOut != null) {
                connection.close();
            }
        });
        CompletionStage<Void> admitted = token == null ? ready : ready.thenCompose(ok -> {
            connection.send(AsapMessage.newBuilder().setAuthenticate(Authenticate.newBuilder()
                    .setRequestId(AUTHENTICATE_ID)
                    .setToken(com.google.protobuf.ByteString.copyFromUtf8(token))).build());
            return authenticated.orTimeout(firstFrameTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .whenComplete((x, refused) -> {
                        if (refused != null) {
                            connection.close();
                        }
                    });
        });
        m.second().whenComplete((done, error) -> authenticated.completeExceptionally(
                new java.io.IOException("connection to " + address
                        + " closed before it accepted this client's token")));
        return m.first().second().thenCompose(established -> admitted).thenApply(ok -> connection);
    }

    /** Why a TLS connection ended before its handshake was done, as an exception with a one-line message. */
    private static Throwable tlsFailure(Throwable error, RegistrarAddress address) {
        String failure = TlsMaterial.failure(error);
        if (failure != null) {
            return new java.io.IOException("TLS handshake with " + address + " failed: " + failure, error);
        }
        return new java.io.IOException("TLS handshake with " + address + " failed: the registrar closed the "
                + "connection (it refused this client's certificate or requires one, or its port is not TLS)"
                + (error == null ? "" : ": " + error.getMessage()), error);
    }

    public RegistrarAddress address() {
        return address;
    }

    /** When the registrar last sent anything on this connection ({@link System#nanoTime()}). */
    public long lastReceivedNanos() {
        return lastReceivedNanos.get();
    }

    public boolean isOpen() {
        return open;
    }

    /**
     * Queues a message; false if the connection is closed or its send buffer is full. A connection whose stream
     * ended (the registrar reset it) counts as closed from then on, even before the stream's completion is seen.
     */
    public boolean send(AsapMessage message) {
        if (!open) {
            return false;
        }
        QueueOfferResult result = queue.offer(message);
        if (result.isEnqueued()) {
            return true;
        }
        if (!QueueOfferResult.dropped().equals(result)) {
            open = false;
        }
        return false;
    }

    /** Closes the connection (after what is queued has been sent). */
    public void close() {
        synchronized (this) {
            if (!open) {
                return; // closed already (by a timeout, the registrar or the session)
            }
            open = false;
        }
        try {
            queue.complete();
        } catch (IllegalStateException streamEnded) {
            // the connection's stream failed or finished first: nothing left to close
        }
    }
}
