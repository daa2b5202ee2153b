package org.poolkeeper.tools.scale;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.protocol.FrameEncoder;
import org.poolkeeper.protocol.FrameException;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/**
 * A plain ASAP client over one TCP connection, written against the wire protocol only: sends requests (pipelined
 * or one at a time), collects the answers by request id within a deadline, and acknowledges keep-alives on the
 * way. What the scale benchmark probes registrars with. Not thread-safe.
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final FrameEncoder encoder = new FrameEncoder();
    private final FrameDecoder decoder = new FrameDecoder();
    private final byte[] buffer = new byte[65536];
    private final ArrayDeque<byte[]> frames = new ArrayDeque<>();
    private final TransportAddress address = TransportAddress.newBuilder()
            .setAddress(ByteString.copyFrom(new byte[] {10, 99, 0, 1})).setPort(9999)
            .setKind(TransportKind.TRANSPORT_KIND_TCP).build();
    private long nextRequestId;

    public RawClient(InetSocketAddress registrar) throws IOException {
        this(registrar, 5_000);
    }

    public RawClient(InetSocketAddress registrar, int connectTimeoutMs) throws IOException {
        socket = new Socket();
        socket.connect(registrar, connectTimeoutMs);
        socket.setTcpNoDelay(true);
        out = new BufferedOutputStream(socket.getOutputStream(), 65536);
        in = socket.getInputStream();
    }

    /** The answer's cause per request id, or absent for requests not answered in time. */
    public record Answers(Map<Long, ErrorCause> causes, Map<Long, AsapMessage> messages) {
    }

    public long registration(String pool, int peId, int lifeMs) throws IOException {
        return registration(pool, peId, lifeMs, PolicyInfo.newBuilder().setPolicyType(1).build());
    }

    public long deregistration(String pool, int peId) throws IOException {
        long id = ++nextRequestId;
        write(AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder().setRequestId(id)
                .setPoolHandle(ByteString.copyFrom(pool, StandardCharsets.UTF_8)).setPeId(peId)).build());
        return id;
    }

    private long registration(String pool, int peId, int lifeMs, PolicyInfo policy) throws IOException {
        long id = ++nextRequestId;
        write(AsapMessage.newBuilder().setRegistration(Registration.newBuilder().setRequestId(id)
                .setPoolHandle(ByteString.copyFrom(pool, StandardCharsets.UTF_8)).setPeId(peId).addAddresses(address)
                .setPolicy(policy).setRegistrationLifeMs(lifeMs)).build());
        return id;
    }

    public long resolution(String pool) throws IOException {
        long id = ++nextRequestId;
        write(AsapMessage.newBuilder().setHandleResolution(HandleResolution.newBuilder().setRequestId(id)
                .setPoolHandle(ByteString.copyFrom(pool, StandardCharsets.UTF_8)).setMaxItems(128)).build());
        return id;
    }

    private void write(AsapMessage message) throws IOException {
        out.write(encoder.encode(message));
    }

    /** Sends what was written and waits up to {@code timeoutMs} for the answers to {@code ids}. */
    public Answers await(List<Long> ids, long timeoutMs) throws IOException {
        out.flush();
        Map<Long, ErrorCause> causes = new HashMap<>();
        Map<Long, AsapMessage> messages = new HashMap<>();
        java.util.Set<Long> wanted = new java.util.HashSet<>(ids);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!wanted.isEmpty()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            AsapMessage m = next(left);
            if (m == null) {
                break;
            }
            long id;
            ErrorCause cause;
            switch (m.getBodyCase()) {
                case REGISTRATION_RESPONSE -> {
                    id = m.getRegistrationResponse().getRequestId();
                    cause = m.getRegistrationResponse().getCause();
                }
                case HANDLE_RESOLUTION_RESPONSE -> {
                    id = m.getHandleResolutionResponse().getRequestId();
                    cause = m.getHandleResolutionResponse().getCause();
                }
                case ERROR -> {
                    id = m.getError().getRequestId();
                    cause = m.getError().getCause();
                }
                default -> {
                    continue;
                }
            }
            if (wanted.remove(id)) {
                causes.put(id, cause);
                messages.put(id, m);
            }
        }
        return new Answers(causes, messages);
    }

    /** An answer: its request id and cause. */
    public record Answer(long requestId, ErrorCause cause) {
    }

    /** The next answer to any request, or null after {@code timeoutMs}. */
    public Answer poll(long timeoutMs) throws IOException {
        out.flush();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return null;
            }
            AsapMessage m = next(left);
            if (m == null) {
                return null;
            }
            switch (m.getBodyCase()) {
                case REGISTRATION_RESPONSE -> {
                    return new Answer(m.getRegistrationResponse().getRequestId(),
                            m.getRegistrationResponse().getCause());
                }
                case HANDLE_RESOLUTION_RESPONSE -> {
                    return new Answer(m.getHandleResolutionResponse().getRequestId(),
                            m.getHandleResolutionResponse().getCause());
                }
                case ERROR -> {
                    return new Answer(m.getError().getRequestId(), m.getError().getCause());
                }
                default -> {
                    // an announcement: not an answer
                }
            }
        }
    }

    /** The next message other than a keep-alive (which is acknowledged), or null after {@code timeoutMs}. */
    private AsapMessage next(long timeoutMs) throws IOException {
        while (true) {
            while (frames.isEmpty()) {
                socket.setSoTimeout((int) Math.max(1, timeoutMs));
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    return null;
                }
                if (n < 0) {
                    throw new IOException("connection closed by the registrar");
                }
                try {
                    decoder.feed(ByteBuffer.wrap(buffer, 0, n), frames::add);
                } catch (FrameException e) {
                    throw new IOException("bad frame: " + e.getMessage());
                }
            }
            AsapMessage m;
            try {
                m = AsapMessage.parseFrom(frames.poll());
            } catch (InvalidProtocolBufferException e) {
                throw new IOException("undecodable frame: " + e.getMessage());
            }
            if (m.hasEndpointKeepAlive()) {
                write(AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder()
                        .setRequestId(m.getEndpointKeepAlive().getRequestId())
                        .setPoolHandle(m.getEndpointKeepAlive().getPoolHandle())
                        .setPeId(m.getEndpointKeepAlive().getPeId())).build());
                out.flush();
                continue;
            }
            return m;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
