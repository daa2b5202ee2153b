package org.poolkeeper.registrar.loadgen;

import com.google.protobuf.ByteString;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.protocol.FrameEncoder;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A small pipelined ASAP load client for measuring one registrar over TCP (until the client/simulator modules
 * exist): C connections, each keeping up to K requests in flight, sending handle resolutions or registrations
 * as fast as the registrar answers (closed loop) or at a fixed total rate (open loop, for latency at a given
 * load). Each connection has a writer thread (batches writes while permits remain) and a reader thread
 * (matches responses by request id, records latency from write to response in an HdrHistogram, and
 * acknowledges keep-alives like a live PE). Prints one summary line per run.
 *
 * <pre>
 * java -cp 'registrar-actors/target/registrar-actors-0.1.0-SNAPSHOT.jar:registrar-actors/target/lib/*' \
 *   org.poolkeeper.registrar.loadgen.LoadGenerator --port 3863 --mode resolve -c 4 -k 64 --duration 10
 * </pre>
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        description = "Pipelined ASAP load client: resolutions, registrations or registration churn against one "
                + "registrar or spread over a cluster's registrars.")
public final class LoadGenerator implements Callable<Integer> {

    @Option(names = "--host", description = "Registrar host (default 127.0.0.1).")
    String host = "127.0.0.1";

    @Option(names = "--port", required = true, split = ",", paramLabel = "PORT",
            description = "Registrar ASAP port; several (a cluster's registrars on --host): the connections are "
                    + "spread over them round robin, the setup registrations go to the first.")
    List<Integer> ports;

    @Option(names = "--mode", description = "resolve, register (each connection cycles through --pes-per-pool PEs "
            + "per pool: new PEs, then re-registrations) or churn (each request pair registers a brand-new PE and "
            + "deregisters it; counted as registrations) (default resolve).")
    String mode = "resolve";

    @Option(names = "--pool-prefix", description = "Pool handles are <prefix>0 ... (default load-).")
    String poolPrefix = "load-";

    @Option(names = {"-c", "--connections"}, description = "Connections (default 4).")
    int connections = 4;

    @Option(names = {"-k", "--in-flight"}, description = "Requests in flight per connection (default 64).")
    int inFlight = 64;

    @Option(names = "--rate", description = "Total requests/s, 0 = as fast as answered (default 0).")
    double rate;

    @Option(names = "--warmup", description = "Seconds before measuring (default 5).")
    int warmupSeconds = 5;

    @Option(names = "--duration", description = "Measured seconds (default 10).")
    int durationSeconds = 10;

    @Option(names = "--pools", description = "Pools (default 100).")
    int pools = 100;

    @Option(names = "--pes-per-pool", description = "resolve and churn: PEs registered per pool first (default 10); "
            + "register: PEs each connection cycles through per pool (default 10).")
    int pesPerPool = 10;

    @Option(names = "--life", description = "Registration life in ms (default 60000).")
    int lifeMs = 60_000;

    @Option(names = "--policy", description = "Policy code of the pools (default 0x1, round robin).")
    String policy = "0x1";

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadGenerator()).execute(args));
    }

    /** Open loop: how long a writer naps when no request is due yet. */
    private static final long PACING_NAP_NANOS = 50_000;

    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Recorder recorder = new Recorder(3_600_000_000L, 3);
    private volatile boolean running = true;
    private volatile boolean measuring;

    @Override
    public Integer call() throws Exception {
        boolean register = switch (mode) {
            case "resolve" -> false;
            case "register", "churn" -> true;
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                    "--mode resolve|register|churn");
        };
        boolean churn = mode.equals("churn");
        int policyCode = (int) Long.decode(policy).longValue();
        List<InetSocketAddress> addresses = ports.stream().map(p -> new InetSocketAddress(host, p)).toList();
        Connection setup = null;
        if (!register || churn) { // churn: PEs that stay keep the pools (and their actors) alive
            setup = new Connection(addresses.get(0), -1, false, policyCode, 1024, false);
            setup.start();
            setup.registerAll(pools, pesPerPool, policyCode);
        }
        List<Connection> list = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            list.add(new Connection(addresses.get(i % addresses.size()), i, register, policyCode, inFlight, churn));
        }
        list.forEach(Connection::start);
        Thread.sleep(warmupSeconds * 1000L);
        recorder.getIntervalHistogram(); // reset
        long before = completed.get();
        long failedBefore = failed.get();
        measuring = true;
        long start = System.nanoTime();
        Thread.sleep(durationSeconds * 1000L);
        long done = completed.get() - before;
        long elapsed = System.nanoTime() - start;
        Histogram h = recorder.getIntervalHistogram();
        running = false;
        double perSecond = done * 1e9 / elapsed / (churn ? 2 : 1); // churn: a registration and its deregistration
        System.out.printf(Locale.ROOT, "loadgen mode=%s registrars=%d connections=%d in-flight=%d rate=%s: %.0f %s/s, "
                        + "latency us p50=%d p90=%d p99=%d p99.9=%d max=%d, failed=%d%n",
                mode, addresses.size(), connections, inFlight, rate == 0 ? "max" : String.format(Locale.ROOT, "%.0f", rate),
                perSecond, churn ? "new registrations" : register ? "registrations" : "resolutions",
                h.getValueAtPercentile(50) / 1000, h.getValueAtPercentile(90) / 1000,
                h.getValueAtPercentile(99) / 1000, h.getValueAtPercentile(99.9) / 1000, h.getMaxValue() / 1000,
                failed.get() - failedBefore);
        for (Connection c : list) {
            c.close();
        }
        if (setup != null) {
            setup.close();
        }
        return 0;
    }

    private final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final DataInputStream in;
        private final FrameEncoder encoder = new FrameEncoder();
        private final int index;
        private final boolean register;
        private final boolean churn;
        private final int policyCode;
        private final Semaphore permits;
        private final long[] sentAt = new long[1 << 16];
        private final ByteString[] handles;
        private final TransportAddress address;
        private long nextRequestId;

        Connection(InetSocketAddress registrar, int index, boolean register, int policyCode, int permits,
                   boolean churn) throws IOException {
            this.churn = churn;
            this.socket = new Socket(registrar.getAddress(), registrar.getPort());
            socket.setTcpNoDelay(true);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 65536));
            this.index = index;
            this.register = register;
            this.policyCode = policyCode;
            this.permits = new Semaphore(permits);
            this.handles = new ByteString[pools];
            for (int p = 0; p < pools; p++) {
                handles[p] = ByteString.copyFrom(poolPrefix + p, StandardCharsets.UTF_8);
            }
            this.address = TransportAddress.newBuilder()
                    .setAddress(ByteString.copyFrom(new byte[] {10, 0, (byte) (index >> 8), (byte) index}))
                    .setPort(1 + (index & 0x7FFF)).setKind(TransportKind.TRANSPORT_KIND_TCP).build();
        }

        void start() {
            Thread reader = new Thread(this::readLoop, "loadgen-reader-" + index);
            reader.setDaemon(true);
            reader.start();
            if (index >= 0) {
                Thread writer = new Thread(this::writeLoop, "loadgen-writer-" + index);
                writer.setDaemon(true);
                writer.start();
            }
        }

        /** Setup: registers pesPerPool PEs in every pool and waits for all answers. */
        void registerAll(int poolCount, int perPool, int policyCode) throws Exception {
            for (int p = 0; p < poolCount; p++) {
                for (int e = 1; e <= perPool; e++) {
                    permits.acquire();
                    write(registration(handles[p], e, policyCode), false);
                }
                out.flush();
            }
            synchronized (out) {
                out.flush();
            }
            permits.acquire(1024);
            permits.release(1024);
        }

        private AsapMessage registration(ByteString handle, int peId, int policyCode) {
            return AsapMessage.newBuilder().setRegistration(Registration.newBuilder()
                    .setRequestId(++nextRequestId).setPoolHandle(handle).setPeId(peId).addAddresses(address)
                    .setPolicy(PolicyInfo.newBuilder().setPolicyType(policyCode).setWeight(1).setLoad(peId))
                    .setRegistrationLifeMs(lifeMs)).build();
        }

        private void write(AsapMessage message, boolean flush) throws IOException {
            byte[] frame = encoder.encode(message);
            synchronized (out) {
                sentAt[(int) (nextRequestId & 0xFFFF)] = System.nanoTime();
                out.write(frame);
                if (flush) {
                    out.flush();
                }
            }
        }

        private void writeLoop() {
            long n = 0;
            double perConnectionPerNano = rate / connections / 1e9;
            long start = System.nanoTime();
            try {
                while (running) {
                    if (rate > 0) {
                        // open loop: send every request due by now in one burst, flush once, then nap briefly
                        long due = (long) ((System.nanoTime() - start) * perConnectionPerNano);
                        if (n >= due) {
                            LockSupport.parkNanos(PACING_NAP_NANOS);
                            continue;
                        }
                        while (n < due && running) {
                            if (!permits.tryAcquire()) {
                                synchronized (out) {
                                    out.flush(); // in-flight limit reached: let the registrar see what is queued
                                }
                                if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                                    break;
                                }
                            }
                            n++;
                            write(request(n), false);
                        }
                        synchronized (out) {
                            out.flush();
                        }
                        continue;
                    }
                    if (!permits.tryAcquire()) {
                        synchronized (out) {
                            out.flush();
                        }
                        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                    }
                    n++;
                    write(request(n), false);
                }
            } catch (IOException | InterruptedException e) {
                if (running) {
                    System.err.println("loadgen: connection " + index + ": " + e);
                }
            }
        }

        private AsapMessage request(long n) {
            if (churn) {
                // n = 1, 2: register PE k = 1, then deregister it; n = 3, 4: PE k = 2 ... (ids reused after 65,535)
                long k = (n + 1) / 2;
                int pool = (int) ((k * 7919 + index) % pools);
                int peId = (index << 16) | (int) (1 + (k - 1) % 65_535);
                if ((n & 1) == 1) {
                    return registration(handles[pool], peId, policyCode);
                }
                return AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder()
                        .setRequestId(++nextRequestId).setPoolHandle(handles[pool]).setPeId(peId)).build();
            }
            int pool = (int) ((n * 7919 + index) % pools);
            if (register) {
                int peId = (index << 16) | (int) (1 + (n / pools) % pesPerPool);
                return registration(handles[pool], peId, policyCode);
            }
            return AsapMessage.newBuilder().setHandleResolution(HandleResolution.newBuilder()
                    .setRequestId(++nextRequestId).setPoolHandle(handles[pool])).build();
        }

        private void readLoop() {
            try {
                while (true) {
                    int length = in.readInt();
                    if (length < 0 || length > FrameDecoder.DEFAULT_MAX_FRAME_LENGTH) {
                        throw new IOException("bad frame length " + length);
                    }
                    byte[] payload = new byte[length];
                    in.readFully(payload);
                    AsapMessage m = AsapMessage.parseFrom(payload);
                    long requestId;
                    ErrorCause cause;
                    switch (m.getBodyCase()) {
                        case HANDLE_RESOLUTION_RESPONSE -> {
                            requestId = m.getHandleResolutionResponse().getRequestId();
                            cause = m.getHandleResolutionResponse().getCause();
                        }
                        case REGISTRATION_RESPONSE -> {
                            requestId = m.getRegistrationResponse().getRequestId();
                            cause = m.getRegistrationResponse().getCause();
                        }
                        case DEREGISTRATION_RESPONSE -> {
                            requestId = m.getDeregistrationResponse().getRequestId();
                            cause = m.getDeregistrationResponse().getCause();
                        }
                        case ENDPOINT_KEEP_ALIVE -> {
                            AsapMessage ack = AsapMessage.newBuilder().setEndpointKeepAliveAck(
                                    EndpointKeepAliveAck.newBuilder()
                                            .setRequestId(m.getEndpointKeepAlive().getRequestId())
                                            .setPoolHandle(m.getEndpointKeepAlive().getPoolHandle())
                                            .setPeId(m.getEndpointKeepAlive().getPeId())).build();
                            byte[] frame = encoder.encode(ack);
                            synchronized (out) {
                                out.write(frame);
                                out.flush();
                            }
                            continue;
                        }
                        case SERVER_ANNOUNCE -> {
                            continue;
                        }
                        default -> {
                            failed.incrementAndGet();
                            permits.release();
                            continue;
                        }
                    }
                    long latency = System.nanoTime() - sentAt[(int) (requestId & 0xFFFF)];
                    if (cause != ErrorCause.ERROR_CAUSE_OK) {
                        failed.incrementAndGet();
                    }
                    if (index >= 0) {
                        completed.incrementAndGet();
                        if (measuring) {
                            recorder.recordValue(Math.max(0, latency));
                        }
                    }
                    permits.release();
                }
            } catch (IOException e) {
                if (running) {
                    System.err.println("loadgen: connection " + index + " closed: " + e);
                }
            }
        }

        void close() throws IOException {
            socket.close();
        }
    }
}
