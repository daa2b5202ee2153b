package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;

/**
 * One TCP connection to a registrar, framed by hand, so that the tool depends on nothing but the wire format:
 *
 * <pre>
 *   +-----------------+------------------------------------------+
 *   | length N        | payload: one AsapMessage, N bytes        |
 *   | 4 bytes, uint32 | (the registrar accepts N up to 64 KiB)   |
 *   | big endian      |                                          |
 *   +-----------------+------------------------------------------+
 * </pre>
 *
 * <p>A reader thread takes every frame the registrar sends: the first {@code ServerAnnounce}, keep-alives (answered
 * at once with an ack of the same request id, pool handle and PE id when the connection was opened to answer them,
 * and recorded per PE either way), and answers, kept by request id for {@link #await} or handed to a listener.
 * Acks and the caller's requests share one lock-guarded stream; {@link #closedByRegistrar()} tells
 * whether the registrar ended the connection (end of stream or reset) rather than this side.
 */
final class FrameConnection implements AutoCloseable {
    /** A PE as the registrar's keep-alives name it. */
    record PeKey(ByteString pool, int peId) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final boolean answerKeepAlives;
    private final Map<Long, AsapMessage> answers = new ConcurrentHashMap<>();
    private final Map<PeKey, Long> lastKeepAliveNanos = new ConcurrentHashMap<>();
    private final CountDownLatch announced = new CountDownLatch(1);
    private final Object arrivals = new Object();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Queue<AsapMessage> pendingAcks = new ConcurrentLinkedQueue<>();
    private volatile Consumer<AsapMessage> listener;
    private volatile boolean closing;
    private volatile boolean closedByRegistrar;
    private volatile String closeReason = "";
    private volatile AsapMessage firstError;

    private FrameConnection(Socket socket, boolean answerKeepAlives) throws IOException {
        this.socket = socket;
        this.answerKeepAlives = answerKeepAlives;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 65536));
        Thread reader = new Thread(this::read, "hostile-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects from {@code source} (null: any local address) and, when {@code awaitAnnounceMs > 0}, waits for the
     * registrar's ServerAnnounce.
     *
     * @throws IOException when the connection fails, or the registrar closes it or sends no announcement in time
     */
    static FrameConnection open(InetSocketAddress registrar, InetAddress source, boolean answerKeepAlives,
                                long awaitAnnounceMs) throws IOException {
        Socket socket = new Socket();
        try {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(registrar, 5_000);
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        FrameConnection c = new FrameConnection(socket, answerKeepAlives);
        if (awaitAnnounceMs > 0 && !c.awaitAnnounce(awaitAnnounceMs)) {
            c.close();
            throw new IOException("no ServerAnnounce within " + awaitAnnounceMs + " ms" + c.why());
        }
        return c;
    }

    /** A well-behaved client: answers keep-alives, waits up to 10 s for the announcement. */
    static FrameConnection open(InetSocketAddress registrar) throws IOException {
        return open(registrar, null, true, 10_000);
    }

    private String why() {
        AsapMessage e = firstError;
        return (closedByRegistrar ? "; closed by the registrar (" + closeReason + ")" : "")
                + (e == null ? "" : "; Error " + Messages.causeName(e) + " " + e.getError().getDetail());
    }

    /** Answers from now on go to {@code l} instead of being kept for {@link #await}. */
    void listen(Consumer<AsapMessage> l) {
        listener = l;
    }

    boolean awaitAnnounce(long timeoutMs) {
        try {
            return announced.await(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void send(AsapMessage m) throws IOException {
        byte[] payload = m.toByteArray();
        write(() -> writeFrame(payload));
    }

    void sendAll(List<AsapMessage> messages) throws IOException {
        write(() -> {
            for (AsapMessage m : messages) {
                writeFrame(m.toByteArray());
            }
        });
    }

    /** Writes bytes as they are: a frame built by the caller, or part of one. */
    void sendRaw(byte[] bytes) throws IOException {
        write(() -> out.write(bytes));
    }

    private interface Write {
        void run() throws IOException;
    }

    /**
     * Writes under the lock, with the acks the reader queued meanwhile. The reader never waits for the lock: were
     * it to wait while a caller's write is stuck because the registrar does not read, nobody would read the
     * registrar's answers and neither side would move.
     */
    private void write(Write w) throws IOException {
        writeLock.lock();
        try {
            w.run();
            drainAcks();
            out.flush();
        } catch (IOException e) {
            throw new IOException("cannot write to the registrar (" + e.getMessage() + ")"
                    + (closedByRegistrar ? ": it closed the connection (" + closeReason + ")" : ""), e);
        } finally {
            writeLock.unlock();
        }
        flushAcks();
    }

    private void flushAcks() throws IOException {
        while (!pendingAcks.isEmpty() && writeLock.tryLock()) {
            try {
                drainAcks();
                out.flush();
            } finally {
                writeLock.unlock();
            }
        }
    }

    private void drainAcks() throws IOException {
        AsapMessage ack;
        while ((ack = pendingAcks.poll()) != null) {
            writeFrame(ack.toByteArray());
        }
    }

    /** A whole frame: the length prefix, then the payload. */
    static byte[] frame(byte[] payload) {
        byte[] f = new byte[4 + payload.length];
        int n = payload.length;
        f[0] = (byte) (n >>> 24);
        f[1] = (byte) (n >>> 16);
        f[2] = (byte) (n >>> 8);
        f[3] = (byte) n;
        System.arraycopy(payload, 0, f, 4, n);
        return f;
    }

    private void writeFrame(byte[] payload) throws IOException {
        int n = payload.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.write(payload);
    }

    /** The answer to {@code requestId} (a response or an Error naming it), or null after {@code timeoutMs}. */
    AsapMessage await(long requestId, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (arrivals) {
            while (true) {
                AsapMessage m = answers.remove(requestId);
                if (m != null) {
                    return m;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closedByRegistrar || closing) {
                    return null;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(arrivals, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    /** When the registrar last sent a keep-alive for this PE (System.nanoTime), or 0. */
    long lastKeepAlive(ByteString pool, int peId) {
        return lastKeepAliveNanos.getOrDefault(new PeKey(pool, peId), 0L);
    }

    boolean closedByRegistrar() {
        return closedByRegistrar;
    }

    String closeReason() {
        return closeReason;
    }

    boolean open() {
        return !closedByRegistrar && !closing;
    }

    private void read() {
        try {
            while (true) {
                int length = in.readInt();
                if (length < 0 || length > 1 << 20) {
                    throw new IOException("the registrar sent a frame of " + Integer.toUnsignedString(length)
                            + " bytes");
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                AsapMessage m;
                try {
                    m = AsapMessage.parseFrom(payload);
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException("the registrar sent an undecodable frame: " + e.getMessage());
                }
                dispatch(m);
            }
        } catch (IOException e) {
            if (!closing) {
                closedByRegistrar = true;
                closeReason = e instanceof EOFException ? "end of stream" : e.getMessage();
            }
        } finally {
            synchronized (arrivals) {
                arrivals.notifyAll();
            }
        }
    }

    private void dispatch(AsapMessage m) throws IOException {
        switch (m.getBodyCase()) {
            case SERVER_ANNOUNCE -> announced.countDown();
            case ENDPOINT_KEEP_ALIVE -> {
                EndpointKeepAlive k = m.getEndpointKeepAlive();
                lastKeepAliveNanos.put(new PeKey(k.getPoolHandle(), k.getPeId()), System.nanoTime());
                if (answerKeepAlives) {
                    pendingAcks.add(AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder()
                            .setRequestId(k.getRequestId()).setPoolHandle(k.getPoolHandle()).setPeId(k.getPeId()))
                            .build());
                    flushAcks();
                }
            }
            default -> {
                if (m.hasError() && firstError == null) {
                    firstError = m;
                }
                Consumer<AsapMessage> l = listener;
                if (l != null) {
                    l.accept(m);
                } else {
                    answers.put(Messages.requestId(m), m);
                    synchronized (arrivals) {
                        arrivals.notifyAll();
                    }
                }
            }
        }
    }

    /** Closes this side; the reader ends with it. */
    @Override
    public void close() {
        closing = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        synchronized (arrivals) {
            arrivals.notifyAll();
        }
    }
}
