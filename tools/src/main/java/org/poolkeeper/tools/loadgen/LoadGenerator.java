package org.poolkeeper.tools.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
import org.poolkeeper.tools.ToolCli;
import org.poolkeeper.protocol.tls.TlsMaterial;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A pipelined ASAP load client for measuring registrars over TCP: C connections, each keeping up to K requests in
 * flight, sending handle resolutions or registrations as fast as the registrars answer (closed loop) or at a fixed
 * total rate (open loop, for latency at a given load). Each connection has a writer thread (batches writes while
 * permits remain) and a reader thread (the protocol's frame decoder; matches responses by request id, records the
 * latency from write to response, and acknowledges keep-alives like a live PE).
 *
 * <p>Modes: {@code resolve}, {@code register} (each connection cycles through {@code --pes-per-pool} PEs per pool:
 * new PEs, then re-registrations), {@code churn} (a brand-new PE registered and deregistered again) and
 * {@code fill} (every PE of {@code --pools} × {@code --pes-per-pool} registered exactly once, spread over the
 * connections, then kept registered for {@code --hold} seconds answering keep-alives: a handlespace of a given
 * size, and the time to build it).
 *
 * <p>It reports honestly: latencies of any size are recorded (auto-resizing histograms); every failed request is
 * counted by its cause; a connection that closes, a frame that cannot be read or a thread that dies is counted as
 * an internal error and named on stderr; any failure or internal error makes the exit code 1. A progress line
 * goes to stderr every 5 s; the last stdout line is the summary as one JSON object (a human-readable line comes
 * before it).
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class,
        description = "Pipelined ASAP load client: resolutions, registrations, registration churn or a handlespace "
                + "fill against one registrar or spread over a cluster's registrars.")
public final class LoadGenerator implements Callable<Integer> {

    @Option(names = {"-r", "--registrars"}, split = ",", paramLabel = "HOST:PORT",
            description = "The registrars' client endpoints, as every Poolkeeper tool takes them; several (a "
                    + "cluster's): the connections are spread over them round robin, the setup registrations go to "
                    + "the first.")
    List<String> registrars;

    @picocli.CommandLine.Mixin
    org.poolkeeper.simsupport.ClientSecurityOptions security = new org.poolkeeper.simsupport.ClientSecurityOptions();

    @Option(names = "--host", description = "With --port: the registrars' host (default 127.0.0.1).")
    String host = "127.0.0.1";

    @Option(names = "--port", split = ",", paramLabel = "PORT",
            description = "Instead of --registrars: registrar client ports on --host.")
    List<Integer> ports;

    /** The registrars to use, from --registrars or --host/--port. */
    private List<InetSocketAddress> addresses() {
        if (registrars != null) {
            return registrars.stream().map(org.poolkeeper.client.RegistrarAddress::parse)
                    .map(r -> new InetSocketAddress(r.host(), r.port())).toList();
        }
        return ports.stream().map(p -> new InetSocketAddress(host, p)).toList();
    }

    @Option(names = "--mode", description = "resolve, register, churn or fill (default resolve).")
    String mode = "resolve";

    @Option(names = "--pool-prefix", description = "Pool handles are <prefix>0 ... (default load-).")
    String poolPrefix = "load-";

    @Option(names = {"-c", "--connections"}, description = "Connections (default 4).")
    int connections = 4;

    @Option(names = {"-k", "--in-flight"}, description = "Requests in flight per connection (default 64).")
    int inFlight = 64;

    @Option(names = "--rate", description = "Total requests/s, 0 = as fast as answered (default 0).")
    double rate;

    @Option(names = "--warmup", description = "Seconds before measuring (default 5; not used by fill).")
    int warmupSeconds = 5;

    @Option(names = "--duration", description = "Measured seconds (default 10; not used by fill).")
    int durationSeconds = 10;

    @Option(names = "--pools", description = "Pools (default 100).")
    int pools = 100;

    @Option(names = "--pes-per-pool", description = "resolve and churn: PEs registered per pool first (default 10); "
            + "register: PEs each connection cycles through per pool; fill: PEs per pool.")
    int pesPerPool = 10;

    @Option(names = "--setup", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "resolve and churn: register the pools' PEs first (default); --no-setup resolves pools "
                    + "that exist already.")
    boolean setup = true;

    @Option(names = "--hold", description = "fill: seconds to keep the PEs registered afterwards, answering "
            + "keep-alives (default 0).")
    int holdSeconds;

    @Option(names = "--first-pe-id", description = "fill: the PE ids of every pool are this and the next "
            + "--pes-per-pool - 1 (default 1).")
    int firstPeId = 1;

    @Option(names = "--life", description = "Registration life in ms (default 60000).")
    int lifeMs = 60_000;

    @Option(names = "--policy", description = "Policy code of the pools (default 0x1, round robin).")
    String policy = "0x1";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; usage errors print one line and give 2. */
    public static int run(String... args) {
        return ToolCli.run("loadgen", new LoadGenerator(), LoadGenerator::oneLine, args);
    }

    /** Open loop: how long a writer naps when no request is due yet. */
    private static final long PACING_NAP_NANOS = 50_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Map<ErrorCause, LongAdder> failures = new ConcurrentHashMap<>();
    private final AtomicLong internalErrors = new AtomicLong();
    private final LongAdder keepAlives = new LongAdder();
    private final Recorder recorder = new Recorder(3);
    private volatile boolean running = true;
    private volatile boolean measuring;

    @Override
    public Integer call() throws Exception {
        validate();
        int policyCode = (int) Long.decode(policy).longValue();
        List<InetSocketAddress> addresses = addresses();
        Connection setupConnection = null;
        boolean churn = mode.equals("churn");
        boolean register = mode.equals("register") || churn;
        List<Connection> list = new ArrayList<>();
        try {
            if (mode.equals("fill")) {
                return fill(addresses, policyCode, list);
            }
            if (setup && (!register || churn)) { // churn: PEs that stay keep the pools alive
                setupConnection = new Connection(addresses.get(0), -1, policyCode, 1024);
                setupConnection.start(false);
                setupConnection.registerAll(policyCode);
            }
            for (int i = 0; i < connections; i++) {
                list.add(new Connection(addresses.get(i % addresses.size()), i, policyCode, inFlight));
            }
            list.forEach(c -> c.start(true));
            Progress progress = new Progress();
            sleepWithProgress(warmupSeconds, progress);
            recorder.getIntervalHistogram(); // reset
            long before = completed.sum();
            long failedBefore = failed.sum();
            measuring = true;
            long start = System.nanoTime();
            sleepWithProgress(durationSeconds, progress);
            long done = completed.sum() - before;
            long elapsed = System.nanoTime() - start;
            Histogram h = recorder.getIntervalHistogram();
            running = false;
            double perSecond = done * 1e9 / elapsed / (churn ? 2 : 1); // churn: a registration and its deregistration
            String unit = churn ? "new registrations" : register ? "registrations" : "resolutions";
            long failedNow = failed.sum() - failedBefore;
            System.out.printf(Locale.ROOT, "loadgen mode=%s registrars=%d connections=%d in-flight=%d rate=%s: %.0f %s/s, "
                            + "latency us p50=%d p90=%d p99=%d p99.9=%d max=%d, failed=%d, internal errors=%d%n",
                    mode, addresses.size(), connections, inFlight, rate == 0 ? "max" : String.format(Locale.ROOT,
                            "%.0f", rate), perSecond, unit, h.getValueAtPercentile(50) / 1000,
                    h.getValueAtPercentile(90) / 1000, h.getValueAtPercentile(99) / 1000,
                    h.getValueAtPercentile(99.9) / 1000, h.getMaxValue() / 1000, failedNow, internalErrors.get());
            ObjectNode summary = summary(h, failedNow);
            summary.put("rate", Math.round(perSecond));
            summary.put("unit", unit);
            summary.put("measured_s", elapsed / 1e9);
            System.out.println(JSON.writeValueAsString(summary));
            return failedNow == 0 && internalErrors.get() == 0 ? 0 : 1;
        } finally {
            running = false;
            for (Connection c : list) {
                c.drain();
            }
            for (Connection c : list) {
                c.close();
            }
            if (setupConnection != null) {
                setupConnection.close();
            }
        }
    }

    private void validate() {
        CommandLine cli = new CommandLine(this);
        if ((registrars == null) == (ports == null)) {
            throw new CommandLine.ParameterException(cli, registrars == null ? "--registrars is required"
                    : "give --registrars or --port, not both");
        }
        try {
            addresses();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, "--registrars: " + e.getMessage());
        }
        if (!List.of("resolve", "register", "churn", "fill").contains(mode)) {
            throw new CommandLine.ParameterException(cli, "--mode must be resolve, register, churn or fill: " + mode);
        }
        if (connections < 1 || inFlight < 1 || inFlight > 60_000 || pools < 1 || pesPerPool < 1 || rate < 0
                || warmupSeconds < 0 || durationSeconds < 1 || holdSeconds < 0 || lifeMs < 1 || firstPeId < 1
                || (long) firstPeId + pesPerPool > 0xFFFF_FFFFL) {
            throw new CommandLine.ParameterException(cli, "-c, --pools, --pes-per-pool and --first-pe-id must be at "
                    + "least 1, -k 1..60000, --duration at least 1 s, --rate, --warmup and --hold not negative");
        }
        try {
            Long.decode(policy);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(cli, "--policy must be a number (e.g. 0x1): " + policy);
        }
        if (mode.equals("fill") && (long) pools * pesPerPool > Integer.MAX_VALUE) {
            throw new CommandLine.ParameterException(cli, "--pools × --pes-per-pool is too large");
        }
    }

    /**
     * Fill: every (pool, PE) once, (pool × pes-per-pool + PE) mod C picking the connection; reports the time until
     * every registration was answered, then holds.
     */
    private int fill(List<InetSocketAddress> addresses, int policyCode, List<Connection> list) throws Exception {
        long total = (long) pools * pesPerPool;
        for (int i = 0; i < connections; i++) {
            list.add(new Connection(addresses.get(i % addresses.size()), i, policyCode, inFlight));
        }
        measuring = true;
        long start = System.nanoTime();
        list.forEach(c -> c.start(true));
        Progress progress = new Progress();
        while (completed.sum() + failed.sum() < total && internalErrors.get() == 0) {
            Thread.sleep(50);
            progress.maybePrint();
        }
        long elapsed = System.nanoTime() - start;
        Histogram h = recorder.getIntervalHistogram();
        double seconds = elapsed / 1e9;
        System.out.printf(Locale.ROOT, "loadgen mode=fill registrars=%d connections=%d in-flight=%d: %,d PEs in %,d pools "
                        + "registered in %.2f s: %.0f registrations/s, %.0f new pools/s, latency us p50=%d p99=%d "
                        + "max=%d, failed=%d, internal errors=%d%n", addresses.size(), connections, inFlight,
                completed.sum(), pools, seconds, completed.sum() / seconds, pools / seconds,
                h.getValueAtPercentile(50) / 1000, h.getValueAtPercentile(99) / 1000, h.getMaxValue() / 1000,
                failed.sum(), internalErrors.get());
        ObjectNode summary = summary(h, failed.sum());
        summary.put("event", "filled");
        summary.put("pools", pools);
        summary.put("pes", completed.sum());
        summary.put("fill_s", seconds);
        summary.put("registrations_per_s", Math.round(completed.sum() / seconds));
        summary.put("pools_per_s", Math.round(pools / seconds));
        summary.put("hold_s", holdSeconds);
        System.out.println(JSON.writeValueAsString(summary));
        System.out.flush();
        if (holdSeconds > 0) {
            long errorsBefore = internalErrors.get();
            long holdUntil = System.nanoTime() + holdSeconds * 1_000_000_000L;
            while (System.nanoTime() < holdUntil) {
                Thread.sleep(200);
                progress.maybePrint();
            }
            ObjectNode held = JSON.createObjectNode();
            held.put("event", "held");
            held.put("keep_alives_answered", keepAlives.sum());
            held.put("internal_errors", internalErrors.get() - errorsBefore);
            System.out.println(JSON.writeValueAsString(held));
        }
        return failed.sum() == 0 && internalErrors.get() == 0 ? 0 : 1;
    }

    private ObjectNode summary(Histogram h, long failedRequests) {
        ObjectNode s = JSON.createObjectNode();
        s.put("mode", mode);
        s.put("registrars", addresses().size());
        s.put("connections", connections);
        s.put("in_flight", inFlight);
        s.put("completed", completed.sum());
        s.put("failed", failedRequests);
        ObjectNode causes = s.putObject("failures");
        new TreeMap<>(failures).forEach((cause, n) -> causes.put(cause.name(), n.sum()));
        s.put("internal_errors", internalErrors.get());
        ObjectNode latency = s.putObject("latency_us");
        latency.put("p50", h.getValueAtPercentile(50) / 1000);
        latency.put("p90", h.getValueAtPercentile(90) / 1000);
        latency.put("p99", h.getValueAtPercentile(99) / 1000);
        latency.put("p999", h.getValueAtPercentile(99.9) / 1000);
        latency.put("max", h.getMaxValue() / 1000);
        return s;
    }

    /** A progress line on stderr every 5 s. */
    private final class Progress {
        private final long start = System.nanoTime();
        private long lastPrint = start;
        private long lastCompleted;

        void maybePrint() {
            long now = System.nanoTime();
            if (now - lastPrint < 5_000_000_000L) {
                return;
            }
            long done = completed.sum();
            System.err.printf(Locale.ROOT, "loadgen: [%5.1fs] %,d answered (%,.0f/s), %,d failed, %,d internal errors%n",
                    (now - start) / 1e9, done, (done - lastCompleted) * 1e9 / (now - lastPrint), failed.sum(),
                    internalErrors.get());
            lastPrint = now;
            lastCompleted = done;
        }
    }

    private void sleepWithProgress(int seconds, Progress progress) throws InterruptedException {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < until) {
            Thread.sleep(Math.max(1, Math.min(200, (until - System.nanoTime()) / 1_000_000)));
            progress.maybePrint();
        }
    }

    private void internalError(String what) {
        internalErrors.incrementAndGet();
        System.err.println("loadgen: " + what);
    }

    static String oneLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replace('\n', ' ');
    }

    private final class Connection {
        private final InetSocketAddress registrar;
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final FrameEncoder encoder = new FrameEncoder();
        private final int index;
        private final int policyCode;
        private final Semaphore permits;
        private final int window;
        private final long[] sentAt = new long[1 << 16];
        private final ByteString[] handles;
        private final TransportAddress address;
        private final CountDownLatch writerDone = new CountDownLatch(1);
        private long nextRequestId;
        private volatile boolean closed;
        private volatile boolean readerEnded;
        /** The detail of an Error about the connection itself (request id 0): why the registrar refused it. */
        private volatile String refusal;
        private volatile boolean started;

        Connection(InetSocketAddress registrar, int index, int policyCode, int permits) throws IOException {
            this.registrar = registrar;
            Socket plain = new Socket(registrar.getAddress(), registrar.getPort());
            plain.setTcpNoDelay(true);
            TlsMaterial tls = security.tls();
            try {
                this.socket = tls == null ? plain
                        : tls.clientSocket(plain, registrar.getHostString(), registrar.getPort());
            } catch (IOException e) {
                plain.close();
                throw new IOException("TLS handshake with " + registrar + " failed: " + oneLine(e), e);
            }
            this.out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            this.in = socket.getInputStream();
            if (tls != null || security.token() != null) {
                admitted(tls != null);
            }
            this.index = index;
            this.policyCode = policyCode;
            this.window = permits;
            this.permits = new Semaphore(permits);
            this.handles = new ByteString[pools];
            for (int p = 0; p < pools; p++) {
                handles[p] = ByteString.copyFrom(poolPrefix + p, StandardCharsets.UTF_8);
            }
            int a = Math.max(0, index);
            this.address = TransportAddress.newBuilder()
                    .setAddress(ByteString.copyFrom(new byte[] {10, (byte) (a >> 16), (byte) (a >> 8), (byte) a}))
                    .setPort(1 + (a & 0x7FFF)).setKind(TransportKind.TRANSPORT_KIND_TCP).build();
        }

        void start(boolean write) {
            started = true;
            thread("loadgen-reader-" + index, this::readLoop);
            if (write) {
                thread("loadgen-writer-" + index, this::writeLoop);
            } else {
                writerDone.countDown();
            }
        }

        private void thread(String name, Runnable body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) { // a dying thread is never silent
                    if (running && !closed) {
                        internalError(name + " died: " + oneLine(e));
                    }
                }
            }, name);
            t.setDaemon(true);
            t.start();
        }

        /** Setup: registers --pes-per-pool PEs in every pool and waits for all answers. */
        void registerAll(int code) throws Exception {
            for (int p = 0; p < pools; p++) {
                for (int e = 1; e <= pesPerPool; e++) {
                    if (!permits.tryAcquire(10, TimeUnit.SECONDS)) {
                        throw new IOException("setup registrations unanswered for 10 s by " + registrar);
                    }
                    write(registration(handles[p], e, code), false);
                }
                synchronized (out) {
                    out.flush();
                }
            }
            long setupDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!permits.tryAcquire(window, 100, TimeUnit.MILLISECONDS)) {
                if (readerEnded) {
                    throw new IOException("registrar " + registrar + " closed the connection during the setup"
                            + (refusal == null ? "" : ": " + refusal));
                }
                if (System.nanoTime() > setupDeadline) {
                    throw new IOException("setup registrations unanswered for 60 s by " + registrar);
                }
            }
            permits.release(window);
        }

        private AsapMessage registration(ByteString handle, int peId, int code) {
            return AsapMessage.newBuilder().setRegistration(Registration.newBuilder()
                    .setRequestId(++nextRequestId).setPoolHandle(handle).setPeId(peId).addAddresses(address)
                    .setPolicy(PolicyInfo.newBuilder().setPolicyType(code).setWeight(1).setLoad(peId))
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
            long limit = mode.equals("fill") ? fillCount() : Long.MAX_VALUE;
            double perConnectionPerNano = rate / connections / 1e9;
            long start = System.nanoTime();
            try {
                while (running && n < limit) {
                    if (rate > 0) {
                        // open loop: send every request due by now in one burst, flush once, then nap briefly
                        long due = Math.min(limit, (long) ((System.nanoTime() - start) * perConnectionPerNano));
                        if (n >= due) {
                            LockSupport.parkNanos(PACING_NAP_NANOS);
                            continue;
                        }
                        while (n < due && running) {
                            if (!acquire()) {
                                break;
                            }
                            n++;
                            write(request(n), false);
                        }
                        synchronized (out) {
                            out.flush();
                        }
                        continue;
                    }
                    if (!acquire()) {
                        continue;
                    }
                    n++;
                    write(request(n), false);
                }
                if (mode.equals("churn") && (n & 1) == 1) {
                    // the last request registered a PE: deregister it too, or the run leaves it in the handlespace
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (!acquire() && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    write(request(n + 1), false);
                }
                synchronized (out) {
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                if (running && !closed) {
                    internalError("connection " + index + " to " + registrar + ": " + oneLine(e));
                }
            } finally {
                writerDone.countDown();
            }
        }

        /** A permit for one more request; flushes what is queued first when none is free. */
        private boolean acquire() throws IOException, InterruptedException {
            if (permits.tryAcquire()) {
                return true;
            }
            synchronized (out) {
                out.flush(); // in-flight limit reached: let the registrar see what is queued
            }
            return permits.tryAcquire(100, TimeUnit.MILLISECONDS);
        }

        /** Fill: how many PEs this connection registers. */
        private long fillCount() {
            long total = (long) pools * pesPerPool;
            return total / connections + (index < total % connections ? 1 : 0);
        }

        private AsapMessage request(long n) {
            switch (mode) {
                case "fill" -> {
                    // the n-th PE of this connection: global slot index + (n - 1) * connections
                    long slot = index + (n - 1) * connections;
                    int pool = (int) (slot / pesPerPool);
                    int peId = firstPeId + (int) (slot % pesPerPool);
                    return registration(handles[pool], peId, policyCode);
                }
                case "churn" -> {
                    // n = 1, 2: register PE k = 1, then deregister it; n = 3, 4: PE k = 2 ... (ids reused after 65,535);
                    // above the setup's ids 1..pes-per-pool, which the setup connection holds
                    long k = (n + 1) / 2;
                    int pool = (int) ((k * 7919 + index) % pools);
                    int peId = ((index + 1) << 16) | (int) (1 + (k - 1) % 65_535);
                    if ((n & 1) == 1) {
                        return registration(handles[pool], peId, policyCode);
                    }
                    return AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder()
                            .setRequestId(++nextRequestId).setPoolHandle(handles[pool]).setPeId(peId)).build();
                }
                case "register" -> {
                    int pool = (int) ((n * 7919 + index) % pools);
                    int peId = (index << 16) | (int) (1 + (n / pools) % pesPerPool);
                    return registration(handles[pool], peId, policyCode);
                }
                default -> {
                    int pool = (int) ((n * 7919 + index) % pools);
                    return AsapMessage.newBuilder().setHandleResolution(HandleResolution.newBuilder()
                            .setRequestId(++nextRequestId).setPoolHandle(handles[pool])).build();
                }
            }
        }

        /**
         * Before the load: the registrar's first frame, its ServerAnnounce (an Error instead is a refusal, e.g. a
         * plaintext client on a TLS port; under TLS 1.3 a refused client certificate shows only here); with a
         * token, the registrar's answer to the Authenticate.
         */
        private void admitted(boolean tls) throws IOException {
            java.io.DataInputStream data = new java.io.DataInputStream(in);
            socket.setSoTimeout(10_000);
            try {
                AsapMessage first = readOne(data);
                if (first.hasError()) {
                    throw new IOException("registrar " + registrar + " refused the connection: "
                            + first.getError().getDetail());
                }
                String token = security.token();
                if (token != null) {
                    synchronized (out) {
                        out.write(encoder.encode(AsapMessage.newBuilder().setAuthenticate(
                                org.poolkeeper.protocol.wire.Authenticate.newBuilder().setRequestId(0)
                                        .setToken(ByteString.copyFromUtf8(token))).build()));
                        out.flush();
                    }
                    while (true) {
                        AsapMessage m = readOne(data);
                        if (m.hasAuthenticateResponse()) {
                            break;
                        }
                        if (m.hasError()) {
                            throw new IOException("registrar " + registrar + " refused the token: "
                                    + m.getError().getDetail());
                        }
                    }
                }
            } catch (java.io.EOFException e) {
                socket.close();
                throw new IOException("registrar " + registrar + " closed the connection "
                        + (tls ? "after the TLS handshake (it refused this client's certificate, or requires one: "
                        + "--tls-cert, --tls-key)" : "before it answered"));
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            socket.setSoTimeout(0);
        }

        private static AsapMessage readOne(java.io.DataInputStream data) throws IOException {
            int length = data.readInt();
            if (length < 0 || length > 1 << 20) {
                throw new IOException("a frame of " + Integer.toUnsignedString(length) + " bytes: not a registrar?");
            }
            byte[] payload = new byte[length];
            data.readFully(payload);
            return AsapMessage.parseFrom(payload);
        }

        private void readLoop() {
            FrameDecoder decoder = new FrameDecoder();
            byte[] buffer = new byte[65536];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    decoder.feed(ByteBuffer.wrap(buffer, 0, n), this::onFrame);
                }
                if (running && !closed) {
                    internalError("connection " + index + " closed by " + registrar);
                }
            } catch (IOException | RuntimeException e) {
                if (running && !closed) {
                    internalError("connection " + index + " to " + registrar + ": " + oneLine(e));
                }
            } finally {
                readerEnded = true;
            }
        }

        private void onFrame(byte[] payload) {
            AsapMessage m;
            try {
                m = AsapMessage.parseFrom(payload);
            } catch (InvalidProtocolBufferException e) {
                internalError("connection " + index + ": undecodable frame from " + registrar);
                return;
            }
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
                    answerKeepAlive(m);
                    return;
                }
                case SERVER_ANNOUNCE -> {
                    return;
                }
                case ERROR -> {
                    requestId = m.getError().getRequestId();
                    cause = m.getError().getCause();
                    if (requestId == 0) { // about the connection, not a request: it is being refused
                        refusal = m.getError().getDetail();
                        internalError("connection " + index + ": registrar " + registrar + " refused it: "
                                + m.getError().getDetail());
                        return;
                    }
                }
                default -> {
                    internalError("connection " + index + ": unexpected " + m.getBodyCase() + " from " + registrar);
                    permits.release();
                    return;
                }
            }
            long latency = System.nanoTime() - sentAt[(int) (requestId & 0xFFFF)];
            if (cause != ErrorCause.ERROR_CAUSE_OK) {
                failed.increment();
                failures.computeIfAbsent(cause, c -> new LongAdder()).increment();
            } else if (index >= 0) {
                completed.increment();
            }
            if (index >= 0 && measuring) {
                recorder.recordValue(Math.max(0, latency));
            }
            permits.release();
        }

        private void answerKeepAlive(AsapMessage m) {
            AsapMessage ack = AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder()
                    .setRequestId(m.getEndpointKeepAlive().getRequestId())
                    .setPoolHandle(m.getEndpointKeepAlive().getPoolHandle())
                    .setPeId(m.getEndpointKeepAlive().getPeId())).build();
            try {
                byte[] frame = encoder.encode(ack);
                synchronized (out) {
                    out.write(frame);
                    out.flush();
                }
                keepAlives.increment();
            } catch (IOException e) {
                if (running && !closed) {
                    internalError("connection " + index + ": keep-alive ack not sent to " + registrar + ": "
                            + oneLine(e));
                }
            }
        }

        /**
         * Waits (at most a few seconds) for the writer to stop and for every request in flight to be answered, so a
         * churn run's last deregistration reaches the registrar before the socket closes.
         */
        void drain() throws InterruptedException {
            if (!started || readerEnded || !writerDone.await(5, TimeUnit.SECONDS)) {
                return; // nothing more will be answered, or the writer is stuck: close without waiting
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!readerEnded && System.nanoTime() < deadline) {
                if (permits.tryAcquire(window, 50, TimeUnit.MILLISECONDS)) {
                    permits.release(window);
                    return;
                }
            }
        }

        void close() throws IOException {
            closed = true;
            socket.close();
        }
    }
}
