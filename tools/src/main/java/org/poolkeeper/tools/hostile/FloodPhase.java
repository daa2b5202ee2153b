package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.poolkeeper.protocol.wire.AsapMessage;

/**
 * Phase {@code floods}: five floods, one row each, against a registrar that meanwhile serves a legitimate owner
 * ({@code legitPes} PEs in one pool, with secrets, keep-alives answered) and a {@link ResolutionProbe} of that pool.
 * During every flood the probe must get every resolution answered OK with every legitimate PE listed; after it
 * (flood connections closed) the node's PE count must fall back to what it was before within 30 s, and the heap after
 * a full collection must be back near the baseline taken before the first flood: at most baseline × 1.5 + 16 MB.
 *
 * <ol>
 *   <li>{@code pools}: 10 connections register one-PE pools (a new pool each time, 64 in flight per connection,
 *       keep-alives answered so that the PEs stay) for {@code seconds}; LACK_OF_RESOURCES is expected once a node or
 *       connection limit is reached, and counted.
 *   <li>{@code short}: for {@code seconds}, four at a time, connections that register 1–200 PEs, wait for the
 *       answers and close without deregistering.
 *   <li>{@code slow}: {@code slowConnections} connections each announce a 65,535-byte frame and send 65,534 bytes of
 *       it, then hold still for {@code slowHoldSeconds}; counted: connected, accepted (the registrar's
 *       ServerAnnounce arrived), refused with an Error, closed by the registrar. With a hold of 13 s or more, every
 *       connection the registrar accepted must have been closed by it (frame-timeout, 10 s).
 *   <li>{@code resolutions}: four connections pipeline handle resolutions (64 in flight each; three in four of the
 *       legitimate pool, one of an unknown pool) as fast as the answers come, for {@code seconds}.
 *   <li>{@code reports}: {@code reportConnections} (1 or 2: a third distinct reporter would remove a PE by the rules)
 *       connections send EndpointUnreachable for the legitimate PEs as fast as TCP takes them, for {@code seconds};
 *       every legitimate PE must survive, and once the answers stop coming every report beyond {@code maxEuRate}
 *       per connection and second must have got an Error.
 * </ol>
 */
final class FloodPhase implements AutoCloseable {
    static final List<String> FLOODS = List.of("pools", "short", "slow", "resolutions", "reports");
    private static final long MB = 1024 * 1024;

    private final Context ctx;
    private final int seconds;
    private final int slowConnections;
    private final int slowHoldSeconds;
    private final int reportConnections;
    private final int legitPes;
    private final int maxEuRate;
    private Owner owner;
    private ResolutionProbe probe;
    private long baselineHeap;
    private int attackerIndex;

    FloodPhase(Context ctx, int seconds, int slowConnections, int slowHoldSeconds, int reportConnections,
               int legitPes, int maxEuRate) {
        this.ctx = ctx;
        this.seconds = seconds;
        this.slowConnections = slowConnections;
        this.slowHoldSeconds = slowHoldSeconds;
        this.reportConnections = reportConnections;
        this.legitPes = legitPes;
        this.maxEuRate = maxEuRate;
    }

    /** The legitimate owner and probe, and the heap baseline. */
    void prepare() throws Exception {
        owner = Owner.open(ctx);
        owner.register(ctx, "legit-flood", 0x4001, legitPes, 32);
        probe = new ResolutionProbe(ctx, owner);
        probe.start();
        baselineHeap = ctx.registrar.heapAfterFullGc();
        ctx.say("floods: legitimate owner with %d PEs; heap after full GC %.1f MB (baseline)", legitPes,
                baselineHeap / (double) MB);
    }

    boolean prepared() {
        return owner != null;
    }

    void run(String flood, PhaseResult r) throws Exception {
        int elementsBefore = ctx.registrar.elements();
        probe.window();
        switch (flood) {
            case "pools" -> pools(r);
            case "short" -> shortConnections(r);
            case "slow" -> slowFrames(r);
            case "resolutions" -> resolutions(r);
            case "reports" -> reports(r);
            default -> throw new IllegalArgumentException("unknown flood " + flood);
        }
        ResolutionProbe.Window w = probe.window();
        r.figure("probe_answered", w.answered() + "/" + (w.answered() + w.unanswered()));
        r.figure("probe_p50_ms", w.p50Ms());
        r.figure("probe_p99_ms", w.p99Ms());
        r.check(w.answered() > 0, "no probe resolution was answered during the flood");
        r.check(w.unanswered() == 0, "%d probe resolutions not answered within 5 s (%s)", w.unanswered(),
                w.firstWrong());
        r.check(w.notOk() == 0 && w.wrongListings() == 0, "%d probe resolutions not OK and %d without every "
                + "legitimate PE: %s", w.notOk(), w.wrongListings(), w.firstWrong());
        r.check(owner.connection.open(), "the registrar closed the legitimate owner's connection (%s)",
                owner.connection.closeReason());
        if (!ctx.registrar.alive()) {
            return; // the command reports the exit
        }
        try (FrameConnection checker = ctx.legit()) {
            List<String> wrong = owner.wrong(checker);
            r.check(wrong.isEmpty(), "after the flood: %s", Owner.firstOf(wrong, 3));
        } catch (IOException e) {
            r.fail("after the flood a new legitimate connection failed: %s", e.getMessage());
        }
        int elements = ctx.registrar.awaitElementsAtMost(elementsBefore);
        r.figure("elements_before_after", elementsBefore + "/" + elements);
        r.check(elements <= elementsBefore, "30 s after the flood the registrar still holds %d PEs, %d before it",
                elements, elementsBefore);
        long heap = ctx.registrar.heapAfterFullGc();
        long bound = (long) (baselineHeap * 1.5) + 16 * MB;
        r.figure("heap_mb_baseline_after", String.format(Locale.ROOT, "%.1f/%.1f",
                baselineHeap / (double) MB, heap / (double) MB));
        r.check(heap >= 0 && heap <= bound, "heap after a full GC %.1f MB after the flood, above baseline %.1f MB × "
                + "1.5 + 16 MB", heap / (double) MB, baselineHeap / (double) MB);
    }

    // ------------------------------------------------------------------ the floods

    /** Answers counted by how they were answered ("OK", "LACK_OF_RESOURCES", "Error …"). */
    private static final class Causes {
        final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        volatile long lastNanos;

        void add(AsapMessage m) {
            counts.computeIfAbsent(Messages.describe(m), k -> new LongAdder()).increment();
            lastNanos = System.nanoTime();
        }

        long get(String what) {
            LongAdder a = counts.get(what);
            return a == null ? 0 : a.sum();
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        public String toString() {
            Map<String, Long> sorted = new TreeMap<>();
            counts.forEach((k, v) -> sorted.put(k, v.sum()));
            return sorted.toString();
        }
    }

    private interface Worker {
        void run(int index) throws Exception;
    }

    /** Runs {@code n} workers and waits for them; what they threw is counted, the first one kept. */
    private List<String> workers(int n, Worker w) throws InterruptedException {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            Thread t = new Thread(() -> {
                try {
                    w.run(index);
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }, "hostile-flood-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return failures;
    }

    private long endNanos() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    private void pools(PhaseResult r) throws Exception {
        Causes causes = new Causes();
        LongAdder sent = new LongAdder();
        LongAdder closed = new LongAdder();
        long end = endNanos();
        int base = attackerIndex;
        attackerIndex += 10;
        List<String> failures = workers(10, i -> {
            try (FrameConnection c = ctx.attacker(base + i, true)) {
                Semaphore window = new Semaphore(64);
                c.listen(m -> {
                    causes.add(m);
                    window.release();
                });
                int seq = 0;
                while (System.nanoTime() < end && c.open()) {
                    if (!window.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    List<AsapMessage> batch = new ArrayList<>();
                    do {
                        batch.add(Messages.registration(Messages.nextId(), Messages.handle("fp-" + i + "-" + seq++),
                                1, Messages.addresses(Messages.address(7, i, seq >>> 8, 1 + (seq & 0x7fff))),
                                Messages.LIFE_MS, null));
                    } while (batch.size() < 32 && window.tryAcquire());
                    c.sendAll(batch);
                    sent.add(batch.size());
                }
                window.tryAcquire(64, 5, TimeUnit.SECONDS); // the answers still on their way
                if (c.closedByRegistrar()) {
                    closed.increment();
                }
            }
        });
        long ok = causes.get("OK");
        long lack = causes.get("LACK_OF_RESOURCES");
        long other = causes.total() - ok - lack;
        r.figure("registrations", sent.sum());
        r.figure("ok", ok);
        r.figure("lack_of_resources", lack);
        r.figure("other_answers", other);
        r.figure("connections_closed_by_registrar", closed.sum());
        r.detail("answers", causes.toString());
        r.check(other == 0, "registrations of one-PE pools answered other than OK or LACK_OF_RESOURCES: %s", causes);
        r.check(failures.isEmpty(), "flood connections failed: %s", Owner.firstOf(failures, 2));
        ctx.say("flood pools: %,d registrations sent, %,d OK, %,d LACK_OF_RESOURCES", sent.sum(), ok, lack);
    }

    private void shortConnections(PhaseResult r) throws Exception {
        Causes causes = new Causes();
        LongAdder sent = new LongAdder();
        LongAdder connections = new LongAdder();
        LongAdder refused = new LongAdder();
        LongAdder unanswered = new LongAdder();
        AtomicLong next = new AtomicLong(attackerIndex);
        long end = endNanos();
        List<String> failures = workers(4, i -> {
            SplittableRandom random;
            synchronized (ctx) {
                random = ctx.random.split();
            }
            while (System.nanoTime() < end) {
                int c = (int) next.getAndIncrement();
                int n = 1 + random.nextInt(200);
                FrameConnection conn;
                try {
                    conn = ctx.attacker(c, false);
                } catch (IOException e) {
                    refused.increment();
                    Thread.sleep(20);
                    continue;
                }
                try (conn) {
                    connections.increment();
                    CountDownLatch answers = new CountDownLatch(n);
                    conn.listen(m -> {
                        causes.add(m);
                        answers.countDown();
                    });
                    List<AsapMessage> batch = new ArrayList<>();
                    ByteString pool = Messages.handle("fs-" + c % 50);
                    for (int k = 0; k < n; k++) {
                        batch.add(Messages.registration(Messages.nextId(), pool, 0x01000000 + c * 256 + k,
                                Messages.addresses(Messages.address(8, c >>> 8, c, 1 + k)), Messages.LIFE_MS, null));
                    }
                    conn.sendAll(batch);
                    sent.add(n);
                    if (!answers.await(5, TimeUnit.SECONDS)) {
                        unanswered.add(answers.getCount());
                    }
                }
            }
        });
        attackerIndex = (int) next.get();
        long ok = causes.get("OK");
        long lack = causes.get("LACK_OF_RESOURCES");
        r.figure("connections", connections.sum());
        r.figure("refused", refused.sum());
        r.figure("registrations", sent.sum());
        r.figure("ok", ok);
        r.figure("lack_of_resources", lack);
        r.figure("unanswered", unanswered.sum());
        r.detail("answers", causes.toString());
        r.check(causes.total() - ok - lack == 0, "registrations answered other than OK or LACK_OF_RESOURCES: %s",
                causes);
        r.check(failures.isEmpty(), "flood connections failed: %s", Owner.firstOf(failures, 2));
        ctx.say("flood short: %,d connections, %,d registrations, %,d OK", connections.sum(), sent.sum(), ok);
    }

    /** One slow connection of {@link #slowFrames}. */
    private static final class Slow {
        final long openedNanos = System.nanoTime();
        int written;
        final byte[] received = new byte[4096];
        int receivedLength;
        boolean connected;
        boolean announced;
        boolean error;
        boolean closedByRegistrar;
        long closedAfterMs = -1;
    }

    private void slowFrames(PhaseResult r) throws Exception {
        byte[] frame = new byte[4 + 65_534];
        new SplittableRandom(1).nextBytes(frame);
        frame[0] = 0;
        frame[1] = 0;
        frame[2] = (byte) 0xff;
        frame[3] = (byte) 0xff; // the prefix says 65,535; the last byte of the payload never comes
        List<Slow> all = new ArrayList<>();
        long connectFailures = 0;
        ByteBuffer scratch = ByteBuffer.allocate(65536);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < slowConnections; i++) {
                SocketChannel ch = SocketChannel.open();
                try {
                    ch.configureBlocking(false);
                    ch.bind(new InetSocketAddress(ctx.attacker(attackerIndex++), 0));
                    Slow s = new Slow();
                    all.add(s);
                    if (ch.connect(ctx.asap())) {
                        s.connected = true;
                        ch.register(selector, SelectionKey.OP_WRITE | SelectionKey.OP_READ, s);
                    } else {
                        ch.register(selector, SelectionKey.OP_CONNECT, s);
                    }
                } catch (IOException e) {
                    connectFailures++;
                    ch.close();
                }
            }
            ctx.say("flood slow: %,d connections opening, holding them %d s", all.size(), slowHoldSeconds);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(slowHoldSeconds);
            while (System.nanoTime() < end) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    Slow s = (Slow) key.attachment();
                    SocketChannel ch = (SocketChannel) key.channel();
                    try {
                        if (key.isValid() && key.isConnectable() && ch.finishConnect()) {
                            s.connected = true;
                            key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                        }
                        if (key.isValid() && key.isWritable() && s.written < frame.length) {
                            s.written += ch.write(ByteBuffer.wrap(frame, s.written, frame.length - s.written));
                            if (s.written == frame.length) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        }
                        if (key.isValid() && key.isReadable()) {
                            scratch.clear();
                            int n = ch.read(scratch);
                            if (n < 0) {
                                closed(s, key);
                            } else {
                                received(s, scratch.array(), n);
                            }
                        }
                    } catch (IOException e) {
                        if (s.connected) {
                            closed(s, key); // reset by the registrar
                        } else {
                            connectFailures++;
                            key.cancel();
                            ch.close();
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
        }
        long connected = all.stream().filter(s -> s.connected).count();
        long accepted = all.stream().filter(s -> s.announced || s.error).count();
        long refused = all.stream().filter(s -> s.error).count();
        long written = all.stream().filter(s -> s.written == frame.length).count();
        long closed = all.stream().filter(s -> s.closedByRegistrar).count();
        long acceptedOpen = all.stream().filter(s -> (s.announced || s.error) && !s.closedByRegistrar).count();
        long[] closeTimes = all.stream().filter(s -> s.closedByRegistrar).mapToLong(s -> s.closedAfterMs).sorted()
                .toArray();
        r.figure("connections", all.size());
        r.figure("connected", connected);
        r.figure("accepted", accepted);
        r.figure("refused_with_error", refused);
        r.figure("sent_65534_bytes", written);
        r.figure("closed_by_registrar", closed);
        r.figure("accepted_still_open", acceptedOpen);
        r.figure("connect_failures", connectFailures);
        r.figure("median_close_s", closeTimes.length == 0 ? -1 : closeTimes[closeTimes.length / 2] / 1000.0);
        if (slowHoldSeconds >= 13) {
            r.check(acceptedOpen == 0, "%d of %d connections the registrar accepted were still open after %d s with "
                    + "an unfinished frame (frame-timeout 10 s)", acceptedOpen, accepted, slowHoldSeconds);
        }
        ctx.say("flood slow: %,d connected, %,d accepted, %,d closed by the registrar", connected, accepted, closed);
    }

    private static void closed(Slow s, SelectionKey key) throws IOException {
        s.closedByRegistrar = true;
        s.closedAfterMs = (System.nanoTime() - s.openedNanos) / 1_000_000;
        key.cancel();
        key.channel().close();
    }

    /** Reads the frames the registrar sent on a slow connection, as far as they fit the small buffer. */
    private static void received(Slow s, byte[] bytes, int n) {
        int take = Math.min(n, s.received.length - s.receivedLength);
        System.arraycopy(bytes, 0, s.received, s.receivedLength, take);
        s.receivedLength += take;
        int at = 0;
        while (s.receivedLength - at >= 4) {
            int length = ByteBuffer.wrap(s.received, at, 4).getInt();
            if (length < 0 || at + 4 + length > s.receivedLength) {
                break;
            }
            try {
                AsapMessage m = AsapMessage.parseFrom(Arrays.copyOfRange(s.received, at + 4, at + 4 + length));
                s.announced |= m.hasServerAnnounce();
                s.error |= m.hasError();
            } catch (IOException e) {
                s.error = true;
            }
            at += 4 + length;
        }
        System.arraycopy(s.received, at, s.received, 0, s.receivedLength - at);
        s.receivedLength -= at;
    }

    private void resolutions(PhaseResult r) throws Exception {
        Causes causes = new Causes();
        LongAdder sent = new LongAdder();
        long end = endNanos();
        int base = attackerIndex;
        attackerIndex += 4;
        ByteString legit = owner.pes.get(0).pool();
        List<String> failures = workers(4, i -> {
            try (FrameConnection c = ctx.attacker(base + i, true)) {
                Semaphore window = new Semaphore(64);
                c.listen(m -> {
                    causes.add(m);
                    window.release();
                });
                long n = 0;
                while (System.nanoTime() < end && c.open()) {
                    if (!window.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    List<AsapMessage> batch = new ArrayList<>();
                    do {
                        ByteString pool = n++ % 4 == 3 ? Messages.handle("flood-no-such-pool-" + n % 100) : legit;
                        batch.add(Messages.resolution(Messages.nextId(), pool, 128));
                    } while (batch.size() < 32 && window.tryAcquire());
                    c.sendAll(batch);
                    sent.add(batch.size());
                }
                window.tryAcquire(64, 5, TimeUnit.SECONDS);
            }
        });
        r.figure("resolutions", sent.sum());
        r.figure("answered", causes.total());
        r.figure("ok", causes.get("OK"));
        r.figure("lack_of_resources", causes.get("LACK_OF_RESOURCES"));
        r.detail("answers", causes.toString());
        r.check(failures.isEmpty(), "flood connections failed: %s", Owner.firstOf(failures, 2));
        ctx.say("flood resolutions: %,d sent, answers %s", sent.sum(), causes);
    }

    private void reports(PhaseResult r) throws Exception {
        Causes causes = new Causes();
        LongAdder sent = new LongAdder();
        long start = System.nanoTime();
        long end = endNanos();
        int base = attackerIndex;
        attackerIndex += reportConnections;
        List<Owner.Pe> targets = owner.pes;
        List<String> failures = workers(reportConnections, i -> {
            try (FrameConnection c = ctx.attacker(base + i, true)) {
                c.listen(causes::add);
                int k = 0;
                while (System.nanoTime() < end && c.open()) {
                    List<AsapMessage> batch = new ArrayList<>();
                    for (int b = 0; b < 64; b++) {
                        Owner.Pe pe = targets.get(k++ % targets.size());
                        batch.add(Messages.unreachable(Messages.nextId(), pe.pool(), pe.peId()));
                    }
                    c.sendAll(batch);
                    sent.add(batch.size());
                }
                awaitQuiet(causes); // what is still in the buffers is read and answered
            }
        });
        // reports are considered while the registrar works through them, up to the last answer, and in every second
        // a window may have begun: one more second
        long span = Math.max(end, causes.lastNanos) - start;
        long spanSeconds = TimeUnit.NANOSECONDS.toSeconds(span) + 2;
        long unanswered = sent.sum() - causes.total();
        long allowed = (long) reportConnections * maxEuRate * spanSeconds;
        r.figure("reporting_connections", reportConnections);
        r.figure("reports", sent.sum());
        r.figure("errors", causes.total());
        r.figure("lack_of_resources", causes.get("Error LACK_OF_RESOURCES"));
        r.figure("without_error", unanswered);
        r.detail("answers", causes.toString());
        r.check(unanswered <= allowed, "%,d reports got no Error, more than max-eu-rate %d/s × %d connections × %d s "
                + "could have been considered", unanswered, maxEuRate, reportConnections, spanSeconds);
        r.check(failures.isEmpty(), "flood connections failed: %s", Owner.firstOf(failures, 2));
        ctx.say("flood reports: %,d sent from %d connections, answers %s", sent.sum(), reportConnections, causes);
    }

    /** Waits until no answer came for a second (15 s at most). */
    private static void awaitQuiet(Causes causes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = causes.total();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(1_000);
        }
    }

    @Override
    public void close() {
        if (probe != null) {
            probe.interrupt();
        }
        if (owner != null) {
            owner.close();
        }
    }
}
