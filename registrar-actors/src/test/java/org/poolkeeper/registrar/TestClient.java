package org.poolkeeper.registrar;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.protocol.FrameEncoder;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.RegistrationResponse;
import org.poolkeeper.protocol.wire.ServerAnnounce;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/**
 * A small blocking ASAP client over a plain {@link Socket}, framed with the protocol module's
 * {@link FrameEncoder} / {@link FrameDecoder}: real TCP, nothing shared with the registrar's stream code. A
 * reader thread collects messages; it acknowledges keep-alives by itself unless told not to, like a live PE.
 */
final class TestClient implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final AsapMessage CLOSED = AsapMessage.getDefaultInstance();

    private final Socket socket;
    private final OutputStream out;
    private final FrameEncoder encoder = new FrameEncoder(FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH);
    private final BlockingQueue<AsapMessage> received = new LinkedBlockingQueue<>();
    private final List<AsapMessage> keepAlives = new CopyOnWriteArrayList<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final Thread reader;
    private volatile boolean ackKeepAlives = true;
    private volatile boolean closedByPeer;
    private volatile ServerAnnounce announce;

    private TestClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.out = new BufferedOutputStream(socket.getOutputStream());
        this.reader = new Thread(this::readLoop, "test-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static TestClient connect(InetSocketAddress registrar) throws IOException {
        return new TestClient(new Socket(registrar.getAddress(), registrar.getPort()));
    }

    /** Connects from a chosen local address (e.g. 127.0.0.2, to test client network filters). */
    static TestClient connectFrom(InetSocketAddress registrar, String localAddress) throws IOException {
        return new TestClient(new Socket(registrar.getAddress(), registrar.getPort(),
                InetAddress.getByName(localAddress), 0));
    }

    void ackKeepAlives(boolean on) {
        ackKeepAlives = on;
    }

    List<AsapMessage> keepAlives() {
        return keepAlives;
    }

    ServerAnnounce announce() {
        return announce;
    }

    private void readLoop() {
        FrameDecoder decoder = new FrameDecoder(FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH);
        byte[] buffer = new byte[65536];
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (byte[] payload : decoder.feed(java.util.Arrays.copyOf(buffer, n))) {
                    AsapMessage m = AsapMessage.parseFrom(payload);
                    switch (m.getBodyCase()) {
                        case SERVER_ANNOUNCE -> announce = m.getServerAnnounce();
                        case ENDPOINT_KEEP_ALIVE -> {
                            keepAlives.add(m);
                            if (ackKeepAlives) {
                                send(AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck
                                        .newBuilder().setRequestId(m.getEndpointKeepAlive().getRequestId())
                                        .setPoolHandle(m.getEndpointKeepAlive().getPoolHandle())
                                        .setPeId(m.getEndpointKeepAlive().getPeId())).build());
                            }
                        }
                        default -> received.add(m);
                    }
                }
            }
        } catch (IOException e) {
            // reset or closed by us
        } finally {
            closedByPeer = true;
            received.add(CLOSED);
        }
    }

    synchronized void send(AsapMessage message) throws IOException {
        out.write(encoder.encode(message));
        out.flush();
    }

    synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next message that is neither a keep-alive nor an announcement. */
    AsapMessage next() throws InterruptedException {
        AsapMessage m = received.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) {
            throw new AssertionError("no message from the registrar within " + TIMEOUT);
        }
        if (m == CLOSED) {
            received.add(CLOSED);
            throw new AssertionError("the registrar closed the connection");
        }
        return m;
    }

    /** True if the registrar closes the connection within the timeout. */
    boolean awaitClosedByPeer(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (closedByPeer) {
                return true;
            }
            Thread.sleep(10);
        }
        return closedByPeer;
    }

    long nextRequestId() {
        return requestIds.incrementAndGet();
    }

    // ------------------------------------------------------------------ requests

    static ByteString handle(String name) {
        return ByteString.copyFrom(name, StandardCharsets.UTF_8);
    }

    static TransportAddress tcp(int port) {
        return TransportAddress.newBuilder().setAddress(ByteString.copyFrom(new byte[] {127, 0, 0, 1}))
                .setPort(port).setKind(TransportKind.TRANSPORT_KIND_TCP).build();
    }

    static PolicyInfo policy(int type, int load) {
        return PolicyInfo.newBuilder().setPolicyType(type).setLoad(load).setWeight(1).build();
    }

    static final int RR = 0x1;
    static final int LU = 0x40000001;

    static Registration.Builder registration(String pool, int peId, int port, PolicyInfo policy, int lifeMs) {
        return Registration.newBuilder().setPoolHandle(handle(pool)).setPeId(peId).addAddresses(tcp(port))
                .setPolicy(policy).setRegistrationLifeMs(lifeMs);
    }

    RegistrationResponse register(Registration.Builder registration) throws Exception {
        long id = nextRequestId();
        send(AsapMessage.newBuilder().setRegistration(registration.setRequestId(id)).build());
        AsapMessage reply = next();
        if (!reply.hasRegistrationResponse() || reply.getRegistrationResponse().getRequestId() != id) {
            throw new AssertionError("expected the registration response to " + id + ", got " + reply);
        }
        return reply.getRegistrationResponse();
    }

    RegistrationResponse register(String pool, int peId, int port, int policyType, int load, int lifeMs)
            throws Exception {
        return register(registration(pool, peId, port, policy(policyType, load), lifeMs));
    }

    HandleResolutionResponse resolve(String pool, Integer maxItems) throws Exception {
        return resolve(handle(pool), maxItems);
    }

    HandleResolutionResponse resolve(ByteString pool, Integer maxItems) throws Exception {
        long id = nextRequestId();
        HandleResolution.Builder r = HandleResolution.newBuilder().setRequestId(id).setPoolHandle(pool);
        if (maxItems != null) {
            r.setMaxItems(maxItems);
        }
        send(AsapMessage.newBuilder().setHandleResolution(r).build());
        AsapMessage reply = next();
        if (!reply.hasHandleResolutionResponse() || reply.getHandleResolutionResponse().getRequestId() != id) {
            throw new AssertionError("expected the resolution response to " + id + ", got " + reply);
        }
        return reply.getHandleResolutionResponse();
    }

    DeregistrationResponse deregister(String pool, int peId) throws Exception {
        long id = nextRequestId();
        send(AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder().setRequestId(id)
                .setPoolHandle(handle(pool)).setPeId(peId)).build());
        AsapMessage reply = next();
        if (!reply.hasDeregistrationResponse() || reply.getDeregistrationResponse().getRequestId() != id) {
            throw new AssertionError("expected the deregistration response to " + id + ", got " + reply);
        }
        return reply.getDeregistrationResponse();
    }

    void reportUnreachable(String pool, int peId) throws IOException {
        send(AsapMessage.newBuilder().setEndpointUnreachable(EndpointUnreachable.newBuilder()
                .setRequestId(nextRequestId()).setPoolHandle(handle(pool)).setPeId(peId)).build());
    }

    /** The PE ids a resolution of {@code pool} returns, in order (empty when the pool is unknown). */
    List<Integer> resolvedIds(String pool, Integer maxItems) throws Exception {
        return resolve(pool, maxItems).getElementsList().stream().map(e -> e.getPeId()).toList();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
