package org.poolkeeper.tools.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.Decoded;
import org.poolkeeper.protocol.WireCodec;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Authenticate;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.ServerAnnounce;

/**
 * One blocking client-protocol connection to one registrar, for one command: a request, then its answer (frames
 * that answer nothing asked, such as the registrar's ServerAnnounce, are kept or skipped). Not thread-safe.
 */
final class OperatorConnection implements AutoCloseable {
    /** The registrar's limit on a frame it sends or accepts. */
    private static final int MAX_FRAME = 64 * 1024;

    private final RegistrarAddress registrar;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Duration timeout;
    private ServerAnnounce announce;
    private long nextRequestId = 1;

    private OperatorConnection(RegistrarAddress registrar, Socket socket, Duration timeout) throws IOException {
        this.registrar = registrar;
        this.socket = socket;
        this.timeout = timeout;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), MAX_FRAME));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), MAX_FRAME));
    }

    /** Connects; @throws CliException naming the registrar and why it cannot be reached */
    /**
     * Connects (with TLS if {@code tls} is not null) and, with a {@code token}, presents it.
     *
     * @throws CliException naming the registrar and why it cannot be reached or refused the token
     */
    static OperatorConnection open(RegistrarAddress registrar, Duration timeout, TlsMaterial tls, String token) {
        OperatorConnection c = open(registrar, timeout, tls);
        if (token != null) {
            long id = c.nextRequestId();
            AsapMessage answer;
            try {
                answer = c.call(id, AsapMessage.newBuilder().setAuthenticate(Authenticate.newBuilder()
                        .setRequestId(id).setToken(com.google.protobuf.ByteString.copyFromUtf8(token))).build());
            } catch (CliException e) {
                c.close();
                throw e;
            }
            if (answer.hasError()) {
                c.close();
                throw new CliException("registrar " + registrar + " refused the token: "
                        + answer.getError().getDetail());
            }
        }
        return c;
    }

    static OperatorConnection open(RegistrarAddress registrar, Duration timeout, TlsMaterial tls) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(registrar.host(), registrar.port()), (int) timeout.toMillis());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) timeout.toMillis());
        } catch (IOException e) {
            closeQuietly(socket);
            throw new CliException("registrar " + registrar + " cannot be reached: " + reason(e));
        }
        Socket connected = socket;
        try {
            if (tls == null) {
                return new OperatorConnection(registrar, connected, timeout);
            }
            connected = tls.clientSocket(socket, registrar.host(), registrar.port());
            OperatorConnection c = new OperatorConnection(registrar, connected, timeout);
            // with TLS 1.3 a registrar refuses this client's certificate (or its lack) only after the client's
            // side of the handshake is done: its first frame, the ServerAnnounce, tells whether it accepted
            try {
                AsapMessage first = c.read(System.nanoTime() + timeout.toNanos());
                if (first.hasServerAnnounce()) {
                    c.announce = first.getServerAnnounce();
                }
            } catch (EOFException e) {
                c.close();
                throw new CliException("TLS handshake with registrar " + registrar + " failed: it closed the "
                        + "connection (it refused this client's certificate, or requires one: --tls-cert, --tls-key)");
            }
            return c;
        } catch (javax.net.ssl.SSLException e) {
            closeQuietly(socket);
            throw new CliException("TLS handshake with registrar " + registrar + " failed: " + e.getMessage());
        } catch (IOException e) {
            closeQuietly(socket);
            throw new CliException("registrar " + registrar + " closed the connection during the TLS handshake ("
                    + reason(e) + "; is its client port TLS?)");
        }
    }

    RegistrarAddress registrar() {
        return registrar;
    }

    /** The registrar's ServerAnnounce, once it has arrived (the first frame it sends), else null. */
    ServerAnnounce announce() {
        return announce;
    }

    long nextRequestId() {
        return nextRequestId++;
    }

    /**
     * Sends {@code request} and returns the first frame answering {@code requestId}: a response or an Error with
     * that request id. Keep-alives for PEs are acknowledged (this connection holds none, so there are none).
     *
     * @throws CliException when the registrar closes the connection, sends something unreadable, or does not
     *                      answer within the timeout
     */
    AsapMessage call(long requestId, AsapMessage request) {
        try {
            write(request);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                AsapMessage m = read(deadline);
                if (answers(m, requestId)) {
                    return m;
                }
                if (m.hasServerAnnounce()) {
                    announce = m.getServerAnnounce();
                } else if (m.hasEndpointKeepAlive()) {
                    write(AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder()
                            .setRequestId(m.getEndpointKeepAlive().getRequestId())
                            .setPoolHandle(m.getEndpointKeepAlive().getPoolHandle())
                            .setPeId(m.getEndpointKeepAlive().getPeId())).build());
                } else if (m.hasError() && m.getError().getRequestId() == 0) {
                    throw new CliException("registrar " + registrar + " refused the connection: "
                            + Causes.describe(m.getError().getCause()) + " (" + m.getError().getDetail() + ")");
                }
            }
        } catch (SocketTimeoutException e) {
            throw new CliException("registrar " + registrar + " did not answer within " + Durations.format(timeout));
        } catch (EOFException e) {
            throw new CliException("registrar " + registrar + " closed the connection");
        } catch (IOException e) {
            throw new CliException("registrar " + registrar + ": " + reason(e));
        }
    }

    private static boolean answers(AsapMessage m, long requestId) {
        return switch (m.getBodyCase()) {
            case ERROR -> m.getError().getRequestId() == requestId;
            case HANDLE_RESOLUTION_RESPONSE -> m.getHandleResolutionResponse().getRequestId() == requestId;
            case REGISTRATION_RESPONSE -> m.getRegistrationResponse().getRequestId() == requestId;
            case DEREGISTRATION_RESPONSE -> m.getDeregistrationResponse().getRequestId() == requestId;
            case DUMP_RESPONSE -> m.getDumpResponse().getRequestId() == requestId;
            case STATUS_RESPONSE -> m.getStatusResponse().getRequestId() == requestId;
            case AUTHENTICATE_RESPONSE -> m.getAuthenticateResponse().getRequestId() == requestId;
            default -> false;
        };
    }

    private void write(AsapMessage message) throws IOException {
        byte[] payload = message.toByteArray();
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    private AsapMessage read(long deadlineNanos) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException();
        }
        socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("a frame of " + Integer.toUnsignedString(length) + " bytes (at most " + MAX_FRAME
                    + " are allowed): not a Poolkeeper registrar?");
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        Decoded<AsapMessage> decoded = WireCodec.decodeAsap(payload);
        if (decoded instanceof Decoded.Ok<AsapMessage> ok) {
            return ok.message();
        }
        throw new IOException("an unreadable frame (" + ((Decoded.Malformed<AsapMessage>) decoded).reason()
                + "): not a Poolkeeper registrar?");
    }

    private static String reason(IOException e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do: the command is failing already
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }
}
